"""A finished (or interrupted) run, loaded back for inference: evaluate.py, generate.py, notebooks."""

from pathlib import Path

import torch
from omegaconf import DictConfig, OmegaConf

from gan.build import build_module
from gan.module import GAN


def find_checkpoint(resume) -> tuple[Path, Path]:
    """(checkpoint, run folder) for ``resume``: a run folder (its last.ckpt) or a checkpoint file in one."""
    path = Path(resume)
    checkpoint = path / "checkpoints" / "last.ckpt" if path.is_dir() else path
    if not checkpoint.is_file():
        raise FileNotFoundError(f"resume={resume}: no checkpoint at {checkpoint}")
    return checkpoint, checkpoint.parent.parent


def checkpoint_config(saved: dict, checkpoint: Path) -> DictConfig:
    """The config a loaded checkpoint carries; for a checkpoint written before they carried one, its run
    folder's ``.hydra/config.yaml``."""
    if "config" in saved:
        return OmegaConf.create(saved["config"])
    beside = checkpoint.parent.parent / ".hydra" / "config.yaml"
    if not beside.is_file():
        raise FileNotFoundError(
            f"{checkpoint} carries no config (it predates that) and {beside} does not exist: "
            "keep an older checkpoint in its run folder (RUN/checkpoints/) to load it"
        )
    return OmegaConf.load(beside)


def load_run(run) -> tuple[GAN, DictConfig, Path]:
    """The trained GAN of a run folder (its last.ckpt) or of any checkpoint, on the CPU, with its config.

    The caller's global RNG is left as it was: building the networks draws initial weights, which the
    checkpoint's then replace."""
    checkpoint, _ = find_checkpoint(run)
    saved = torch.load(checkpoint, map_location="cpu", weights_only=False)
    cfg = checkpoint_config(saved, checkpoint)
    with torch.random.fork_rng(devices=[]):
        module = build_module(cfg)
    module.load_state_dict(saved["state_dict"])
    return module, cfg, checkpoint
