"""train(cfg, run_dir): build the parts from a composed config, fit, and write the run's pictures."""

import csv
import json
import time
from pathlib import Path

import lightning as L
import torch
from hydra.utils import instantiate
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.loggers import TensorBoardLogger
from omegaconf import DictConfig

from gan.files import atomic_path
from gan.module import GAN
from gan.plots import save_loss_progress, save_sample_grid


def build_module(cfg: DictConfig) -> GAN:
    """The GAN of ``cfg``; seeds torch first and builds D before G, in the walkthrough's order."""
    L.seed_everything(cfg.seed, verbose=False)
    discriminator = instantiate(cfg.model.discriminator)
    generator = instantiate(cfg.model.generator)
    return GAN(
        generator=generator,
        discriminator=discriminator,
        loss=instantiate(cfg.loss),
        optimizer=instantiate(cfg.optimizer),
        noise=instantiate(cfg.noise),
        log_every=cfg.log_every,
        sample_grid=tuple(cfg.sample_grid),
        sample_seed=cfg.seed,
    )


def _write_progress(progress: dict, path: Path) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["network", "update", "loss"])
        for network, records in progress.items():
            writer.writerows((network, step, loss) for step, loss in records)


def train(cfg: DictConfig, run_dir) -> dict:
    """Train one GAN into ``run_dir`` (TensorBoard events, checkpoints, PNGs); return its summary."""
    run_dir = Path(run_dir)
    threads = cfg.threads or (1 if cfg.data.batch_size == 1 else None)
    if threads:
        torch.set_num_threads(threads)
    datamodule = instantiate(cfg.data)
    datamodule.prepare_data()  # download and parse before the networks are seeded and built
    module = build_module(cfg)
    trainer = instantiate(
        cfg.trainer,
        default_root_dir=run_dir,
        logger=TensorBoardLogger(save_dir=run_dir, name="", version=""),
        callbacks=[
            ModelCheckpoint(
                dirpath=run_dir / "checkpoints", filename="{epoch}", save_top_k=-1, save_last=True
            )
        ],
    )
    started = time.perf_counter()
    trainer.fit(module, datamodule=datamodule)
    seconds = time.perf_counter() - started

    rows, cols = module.sample_grid
    save_sample_grid(module.sample(module.fixed_noise).cpu(), rows, cols, run_dir / "samples.png")
    save_loss_progress(module.progress, module.loss.equilibrium, run_dir / "loss_progress.png")
    _write_progress(module.progress, run_dir / "progress.csv")
    last = {network: records[-1][1] if records else None for network, records in module.progress.items()}
    summary = {
        "run_dir": str(run_dir),
        "epochs": trainer.current_epoch,
        "updates": module.updates,
        "fit_seconds": round(seconds, 3),
        "final_d_loss": last["D"],
        "final_g_loss": last["G"],
    }
    with atomic_path(run_dir / "summary.json") as tmp:
        tmp.write_text(json.dumps(summary, indent=2) + "\n")
    return summary
