"""A finished (or interrupted) run, loaded back: for inference (evaluate.py, generate.py, notebooks) or to resume."""

import time
from pathlib import Path

import torch
import yaml
from omegaconf import DictConfig

from gan.errors import ConfigError, MissingFileError
from gan.file_safety import DAMAGED_FILE_ERRORS, UnsafeFileError, load_problem, load_tensors
from gan.logs import log as run_log
from gan.models.gan import GAN
from gan.training.carried_config import carried_config
from gan.training.checkpoints import check_weights_fit
from gan.training.from_config import build_module
from gan.training.run_folders import continues_in_place


def find_checkpoint(resume) -> tuple[Path, Path]:
    """(checkpoint, run folder) for ``resume``: a run folder (its last.ckpt) or a checkpoint file in one."""
    path = Path(resume)
    checkpoint = path / "checkpoints" / "last.ckpt" if path.is_dir() else path
    if not checkpoint.is_file():
        raise MissingFileError(f"{resume}: no checkpoint at {checkpoint}; give a run folder or a .ckpt file")
    return checkpoint, run_folder(checkpoint)


def run_folder(checkpoint: Path) -> Path:
    """The run folder a checkpoint belongs to (``RUN/checkpoints/x.ckpt``); for one copied anywhere else, the folder
    it lies in: outputs made from a loose checkpoint go beside it, never above it."""
    return checkpoint.parent.parent if continues_in_place(checkpoint) else checkpoint.parent


def try_load(checkpoint: Path) -> tuple[dict | None, str | None]:
    """(its contents, None) for a checkpoint that loads; (None, the first line of the problem) otherwise.
    A checkpoint that would run code when unpickled is never loaded: ``UnsafeFileError``."""
    try:
        saved = load_tensors(checkpoint)
    except UnsafeFileError:
        raise
    except DAMAGED_FILE_ERRORS as error:  # truncated or corrupted: torch names the problem in many ways
        return None, load_problem(error)
    if not isinstance(saved, dict) or "state_dict" not in saved:
        return None, "not a checkpoint of this project (no state_dict)"
    return saved, None


def resumable_checkpoint(resume, log=run_log.warning) -> tuple[Path, dict]:
    """The checkpoint ``resume`` names (a run folder's last.ckpt, or a file) and its contents. If it does not
    load (truncated by a crash, corrupted), the newest checkpoint beside it that does, saying which one was
    used and what was lost. Training resumes from it; evaluate.py and generate.py read it too."""
    checkpoint, _ = find_checkpoint(resume)
    saved, problem = try_load(checkpoint)
    if saved is not None:
        return checkpoint, saved
    others = sorted(
        (c for c in checkpoint.parent.glob("*.ckpt") if c != checkpoint), key=lambda c: c.stat().st_mtime, reverse=True
    )
    for other in others:
        saved, _ = try_load(other)
        if saved is not None:
            written = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(other.stat().st_mtime))
            lost = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(checkpoint.stat().st_mtime))
            updates = saved.get("gan", {}).get("state", {}).get("updates", "?")
            log(
                f"WARNING: {checkpoint} does not load ({problem}). Using {other} instead (written {written}, "
                f"{updates} updates): the training between then and {lost} is not in it."
            )
            return other, saved
    raise ConfigError(f"{resume}: {checkpoint} does not load ({problem}), and no other checkpoint beside it does")


def checkpoint_config(saved: dict, checkpoint: Path) -> DictConfig:
    """The config a loaded checkpoint carries; for a checkpoint written before they carried one, its run
    folder's ``.hydra/config.yaml``. Read as data: nothing it names is built before ``carried_config`` has
    checked it (only the project's own classes, no path outside the run)."""
    if "config" in saved:
        return carried_config(saved["config"], checkpoint)
    beside = checkpoint.parent.parent / ".hydra" / "config.yaml"
    if not beside.is_file():
        raise MissingFileError(
            f"{checkpoint} carries no config (it predates that) and {beside} does not exist: "
            "keep an older checkpoint in its run folder (RUN/checkpoints/) to load it"
        )
    try:  # YAML's own types only: a tag (!!python/...) is refused, never constructed
        container = yaml.safe_load(beside.read_text())
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise UnsafeFileError(f"{beside}: not a config this project reads ({str(error).splitlines()[0]})") from None
    return carried_config(container, beside, references=True)


def load_run(run) -> tuple[GAN, DictConfig, Path]:
    """The trained GAN of a run folder (its last.ckpt) or of any checkpoint, on the CPU, with its config.

    The caller's global RNG is left as it was: building the networks draws initial weights, which the
    checkpoint's then replace."""
    checkpoint, saved = resumable_checkpoint(run)
    cfg = checkpoint_config(saved, checkpoint)
    with torch.random.fork_rng(devices=[]):
        module = build_module(cfg)
    check_weights_fit(module, saved["state_dict"], checkpoint)
    module.load_state_dict(saved["state_dict"])
    return module, cfg, checkpoint
