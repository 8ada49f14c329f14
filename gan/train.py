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
from omegaconf import DictConfig, OmegaConf

from gan.checkpointing import AtomicCheckpointIO, SaveOnInterrupt
from gan.data import MnistDataset
from gan.files import atomic_path
from gan.judge import ensure_judge, untrustworthy
from gan.metrics import EpochMetrics, JudgeMetrics
from gan.module import GAN
from gan.plots import save_loss_progress, save_sample_grid

# key -> (test, what it must be): checked before any download or training, so the message names the key
CHECKS = {
    "optimizer.lr": (lambda v: v > 0, "> 0"),
    "model.latent_dim": (lambda v: v >= 1, ">= 1"),
    "model.discriminator.leaky_slope": (lambda v: v is None or v >= 0, ">= 0, or null for Sigmoid"),
    "model.generator.leaky_slope": (lambda v: v is None or v >= 0, ">= 0, or null for Sigmoid"),
    "data.batch_size": (lambda v: v >= 1, ">= 1"),
    "data.chunk_size": (lambda v: v >= 1, ">= 1"),
    "log_every": (lambda v: v >= 1, ">= 1"),
    "metrics.samples": (lambda v: v is None or v >= 2, ">= 2 (a Frechet distance needs a covariance), or null"),
    "model.pack": (lambda v: v >= 1, ">= 1"),
    "model.ema_decay": (lambda v: v is None or 0 < v < 1, "in (0, 1), or null for none"),
    "trainer.max_epochs": (lambda v: v is None or v == -1 or v >= 1, ">= 1, or -1 for no limit"),
}
_ABSENT = object()


def check_config(cfg: DictConfig) -> None:
    """Reject a bad value before anything is downloaded or trained, naming its key."""
    for key, (is_valid, requirement) in CHECKS.items():
        value = OmegaConf.select(cfg, key, default=_ABSENT)
        if value is _ABSENT:  # e.g. a model without a leaky_slope
            continue
        try:
            valid = is_valid(value)
        except TypeError:  # None or a string where a number belongs
            valid = False
        if not valid:
            raise ValueError(f"{key}={value} is invalid: it must be {requirement}")
    channels = OmegaConf.select(cfg, "data.channels", default=1)
    if channels > 1 and OmegaConf.select(cfg, "model.generator.classes", default=None) is not None:
        raise ValueError(
            f"model=conditional draws one digit per image, but data.channels={channels} images stack several "
            "(Stacked MNIST): use an unconditional model"
        )


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
        ema_decay=OmegaConf.select(cfg, "model.ema_decay", default=None),  # runs from before it lack the key
    )


def find_checkpoint(resume) -> tuple[Path, Path]:
    """(checkpoint, run folder) for ``resume``: a run folder (its last.ckpt) or a checkpoint file in one."""
    path = Path(resume)
    checkpoint = path / "checkpoints" / "last.ckpt" if path.is_dir() else path
    if not checkpoint.is_file():
        raise FileNotFoundError(f"resume={resume}: no checkpoint at {checkpoint}")
    return checkpoint, checkpoint.parent.parent


def judge_metrics(cfg: DictConfig, data=None) -> JudgeMetrics:
    """The judge of ``cfg``'s dataset (trained once if missing), measuring against that dataset's test images.

    Stacked MNIST is judged digit by digit, with the MNIST judge of the CSVs it is built from."""
    data = data or instantiate(cfg.data)
    if data.test_csv is None:
        raise ValueError(
            "data.test_csv is not set: the judge measures samples against the dataset's own test images. "
            "Give data.test_csv=PATH (from the same data as data.train_csv), or train with metrics.enabled=false."
        )
    cache = data.data_dir / "cache"
    judge, about = ensure_judge(
        data.train_csv, data.test_csv, cache, data.judge_name, data.data_dir / "judges", cfg.metrics.judge
    )
    warning = untrustworthy(about["judge_accuracy"])
    if warning:
        print(f"WARNING: {warning}")
    about["dataset"] = data.name
    test = MnistDataset(data.test_csv, cache).images
    return JudgeMetrics(judge, test, data.channels, about=about, class_names=data.class_names)


def _warn_if_tiny(cfg: DictConfig, data) -> None:
    """Say what a dataset too small for this run will leave out, before any training."""
    updates = -(-len(data.train_set) // (data.batch_size * data.pack))
    epochs = cfg.trainer.max_epochs if cfg.trainer.max_epochs and cfg.trainer.max_epochs > 0 else 1
    if updates * epochs < cfg.log_every:
        print(
            f"WARNING: {data.train_csv} gives {updates * epochs} updates, fewer than log_every={cfg.log_every}: "
            "no losses will be recorded (no loss curves, no progress.csv rows)"
        )


def metric_samples(cfg: DictConfig, datamodule) -> int:
    """``metrics.samples``, or when null the dataset's own count (10,000; the papers' 26,000 on Stacked MNIST)."""
    return cfg.metrics.samples or datamodule.metric_samples


def loss_balance(progress: dict, equilibrium: float) -> float | None:
    """How far each network's loss sits from the balance point over its last quarter of records, summed:
    0 when D and G end at equilibrium. The search objective when no judge metrics are computed."""
    tails = [records[-max(1, len(records) // 4) :] for records in progress.values() if records]
    if not tails:
        return None
    return sum(abs(sum(v for _, v in tail) / len(tail) - equilibrium) for tail in tails)


def load_run(run) -> tuple[GAN, DictConfig, Path]:
    """The trained GAN of a run folder (its last.ckpt) or of one of its checkpoints, on the CPU, with its config."""
    checkpoint, run_dir = find_checkpoint(run)
    cfg = OmegaConf.load(run_dir / ".hydra" / "config.yaml")
    module = build_module(cfg)
    module.load_state_dict(torch.load(checkpoint, map_location="cpu", weights_only=False)["state_dict"])
    return module, cfg, checkpoint


def _write_progress(progress: dict, path: Path) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["network", "update", "loss"])
        for network, records in progress.items():
            writer.writerows((network, step, loss) for step, loss in records)


def train(cfg: DictConfig, run_dir, ckpt_path=None) -> dict:
    """Train one GAN into ``run_dir`` (TensorBoard events, checkpoints, PNGs); return its summary.

    With ``ckpt_path`` the run continues from that checkpoint: weights, optimizers, data position and
    the noise RNG, so the result equals an uninterrupted run's.
    """
    check_config(cfg)
    run_dir = Path(run_dir)
    threads = cfg.threads or (1 if cfg.data.batch_size == 1 else None)
    if threads:
        torch.set_num_threads(threads)
    datamodule = instantiate(cfg.data)
    datamodule.prepare_data()  # download and parse before the networks are seeded and built
    if cfg.metrics.enabled:
        epoch_metrics = EpochMetrics(judge_metrics(cfg, datamodule), metric_samples(cfg, datamodule), cfg.seed)
    else:
        epoch_metrics = None
    _warn_if_tiny(cfg, datamodule)
    module = build_module(cfg)
    checkpoints = run_dir / "checkpoints"
    trainer = instantiate(
        cfg.trainer,
        default_root_dir=run_dir,
        logger=TensorBoardLogger(save_dir=run_dir, name="", version=""),
        callbacks=[
            # no "-v1" copies: a resumed run keeps writing its own last.ckpt
            ModelCheckpoint(
                dirpath=checkpoints,
                filename="{epoch}",
                save_top_k=-1,
                save_last=True,
                enable_version_counter=False,
            ),
            SaveOnInterrupt(checkpoints / "last.ckpt"),
            *([epoch_metrics] if epoch_metrics else []),
        ],
        plugins=[AtomicCheckpointIO()],
    )
    started = time.perf_counter()
    trainer.fit(module, datamodule=datamodule, ckpt_path=ckpt_path)
    seconds = time.perf_counter() - started

    last = {network: records[-1][1] if records else None for network, records in module.progress.items()}
    final_metrics = epoch_metrics.history[-1] if epoch_metrics and epoch_metrics.history else None
    balance = loss_balance(module.progress, module.loss.equilibrium)
    summary = {
        "run_dir": str(run_dir),
        "epochs": trainer.current_epoch,
        "updates": module.updates,
        "fit_seconds": round(seconds, 3),
        "final_d_loss": last["D"],
        "final_g_loss": last["G"],
        "loss_balance": balance,
        "dataset": datamodule.name,
        "judge": epoch_metrics.metrics.about if epoch_metrics else None,
        "metrics": final_metrics,
        "metrics_per_epoch": epoch_metrics.history if epoch_metrics else [],
        # what a hyperparameter search minimises: judge-FD when measured, else the loss balance
        "objective": final_metrics["judge_fd"] if final_metrics else balance,
        "processes": trainer.world_size,
        "ranks_agree": module.ranks_agree,  # checked after multi-process training; null in one process
    }
    if trainer.is_global_zero:  # one process writes the run's files
        rows, cols = module.sample_grid
        images = module.sample(module.fixed_noise, module.fixed_labels).cpu()
        names = datamodule.class_names
        titles = [f"asked: {names[d]}" for d in module.fixed_labels.tolist()] if module.classes else None
        save_sample_grid(images, rows, cols, run_dir / "samples.png", titles=titles)
        save_loss_progress(module.progress, module.loss.equilibrium, run_dir / "loss_progress.png")
        _write_progress(module.progress, run_dir / "progress.csv")
        with atomic_path(run_dir / "summary.json") as tmp:
            tmp.write_text(json.dumps(summary, indent=2) + "\n")
    return summary
