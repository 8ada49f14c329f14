"""train(cfg, run_dir): check the config, fit the GAN it describes, and write the run's record."""

import time
from pathlib import Path

import lightning as L
import torch
from hydra.utils import instantiate
from lightning.pytorch.loggers import TensorBoardLogger
from omegaconf import DictConfig, OmegaConf

from gan.build import build_module, judge_metrics, metric_samples
from gan.checkpointing import AtomicCheckpointIO, Checkpoints, ConfigInCheckpoints, SaveOnInterrupt
from gan.checks import check_config, torch_threads
from gan.metrics import EpochMetrics
from gan.record import summarize, write_record


def _warn_if_tiny(cfg: DictConfig, data) -> None:
    """Say what a dataset too small for this run will leave out, before any training."""
    updates = -(-len(data.train_set) // data.images_per_update)
    epochs = cfg.trainer.max_epochs if cfg.trainer.max_epochs and cfg.trainer.max_epochs > 0 else 1
    if updates * epochs < cfg.log_every:
        print(
            f"WARNING: {data.train_csv} gives {updates * epochs} updates, fewer than log_every={cfg.log_every}: "
            "no losses will be recorded (no loss curves, no progress.csv rows)"
        )


def fit(cfg: DictConfig, run_dir: Path, ckpt_path=None):
    """Fit the GAN of ``cfg`` into ``run_dir`` (TensorBoard events, checkpoints).

    Returns (trainer, module, datamodule, epoch metrics or None, seconds in ``Trainer.fit``)."""
    threads = torch_threads(cfg.threads, cfg.data.batch_size)
    if threads:
        torch.set_num_threads(threads)
    datamodule = instantiate(cfg.data)
    datamodule.prepare_data()  # download and parse before the networks are seeded and built
    epoch_metrics = None
    if cfg.metrics.enabled:
        epoch_metrics = EpochMetrics(judge_metrics(cfg, datamodule), metric_samples(cfg, datamodule), cfg.seed)
    _warn_if_tiny(cfg, datamodule)
    L.seed_everything(cfg.seed, verbose=False)  # the initial weights and the first noise follow `seed`
    module = build_module(cfg)
    checkpoints = run_dir / "checkpoints"
    every_minutes = OmegaConf.select(cfg, "checkpoints.every_minutes", default=None)  # runs from before it lack it
    trainer = instantiate(
        cfg.trainer,
        default_root_dir=run_dir,
        logger=TensorBoardLogger(save_dir=run_dir, name="", version=""),
        callbacks=[
            Checkpoints(checkpoints, every_minutes),
            ConfigInCheckpoints(cfg),
            SaveOnInterrupt(checkpoints / "last.ckpt"),
            *([epoch_metrics] if epoch_metrics else []),
        ],
        plugins=[AtomicCheckpointIO()],
    )
    started = time.perf_counter()
    trainer.fit(module, datamodule=datamodule, ckpt_path=ckpt_path)
    return trainer, module, datamodule, epoch_metrics, time.perf_counter() - started


def train(cfg: DictConfig, run_dir, ckpt_path=None) -> dict:
    """Train one GAN into ``run_dir`` and write its record (PNGs, progress.csv, summary.json); return the summary.

    With ``ckpt_path`` the run continues from that checkpoint: weights, optimizers, data position and
    the noise RNG, so the result equals an uninterrupted run's.
    """
    check_config(cfg)
    run_dir = Path(run_dir)
    trainer, module, datamodule, epoch_metrics, seconds = fit(cfg, run_dir, ckpt_path)
    summary = summarize(run_dir, trainer, module, datamodule, epoch_metrics, seconds)
    if trainer.is_global_zero:  # one process writes the run's files
        write_record(run_dir, module, datamodule.class_names, summary)
    return summary
