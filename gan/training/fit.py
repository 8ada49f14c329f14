"""train(cfg, run_dir): check the config, fit the GAN it describes with Lightning (``fit_trainer``), and write the run's
record."""

import logging
import os
import signal
import time
import warnings
from pathlib import Path

import lightning as L
import torch
from hydra.utils import instantiate
from lightning.pytorch.loggers import TensorBoardLogger
from omegaconf import DictConfig, OmegaConf

from gan.errors import ConfigError
from gan.evaluation.metrics import EpochMetrics
from gan.file_safety import load_tensors, refuse_links
from gan.logs import keep_run_log, log
from gan.training.checkpoints import (
    AtomicCheckpointIO,
    Checkpoints,
    ConfigInCheckpoints,
    SaveOnInterrupt,
    TrainingInterrupted,
    check_weights_fit,
)
from gan.training.config_checks import check_config, torch_threads
from gan.training.from_config import build_module, judge_metrics, metric_samples
from gan.training.progress_bar import ImageProgressBar
from gan.training.run_lock import run_lock
from gan.training.run_record import log_hparams, summarize, write_record, write_status

# Lightning 2.6 flattens every dataloader with a torch pytree check that torch 2.13 deprecates; the warning
# is about Lightning's own code, harmless here, and this filter matches that one message only
warnings.filterwarnings("ignore", message=r"`isinstance\(treespec, LeafSpec\)` is deprecated")
# Lightning's hint that an epoch has fewer batches than log_every_n_steps: at batch size 1 a batch is a chunk and
# the loss curves are logged by the module itself; _warn_if_tiny says when a run records no losses at all
warnings.filterwarnings(
    "ignore", message=r"The number of training batches \(\d+\) is smaller than the logging interval"
)
# Lightning's info lines (GPU/TPU availability, a cloud-logging tip, checkpoint-loading notes, the model
# summary) say nothing this run's own log does not (describe_run); its warnings still show
logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)


def _check_enough_data(cfg: DictConfig, data) -> None:
    """A pack (PacGAN) needs that many images at least: refuse data that gives not one whole update."""
    if data.updates_per_epoch() == 0:
        raise ConfigError(
            f"model.pack={data.pack} makes D judge {data.pack} images at once, but {data.source} has "
            f"{len(data.train_set)}: not one update fits. Use a smaller model.pack or more data."
        )


def _warn_if_tiny(cfg: DictConfig, data) -> None:
    """Say what a dataset too small for this run will leave out, before any training."""
    updates = -(-len(data.train_set) // data.images_per_update)
    epochs = cfg.trainer.max_epochs if cfg.trainer.max_epochs and cfg.trainer.max_epochs > 0 else 1
    if updates * epochs < cfg.log_every:
        log.warning(
            f"WARNING: {data.source} gives {updates * epochs} updates, fewer than log_every={cfg.log_every}: "
            "no losses will be recorded (no loss curves, no progress.csv rows)"
        )


def _parameters(network) -> str:
    return f"{type(network).__name__} ({sum(p.numel() for p in network.parameters()):,} parameters)"


def _rates(cfg: DictConfig, module) -> str:
    """The learning rate as it will act (a ramp replaces ``optimizer.lr``; a schedule scales it), and any other ramp."""
    ramps = module.ramps
    if ramps.lr is not None:
        rate = f"lr {ramps.lr}"
    elif not module.schedule.constant:
        rate = f"lr {cfg.optimizer.lr}, {module.schedule}"
    else:
        rate = f"lr {cfg.optimizer.lr}"
    others = [f"{name} {ramp}" for name, ramp in vars(ramps).items() if ramp is not None and name != "lr"]
    return rate + "".join(f"; {other}" for other in others)


def describe_run(cfg: DictConfig, run_dir: Path, module, datamodule, trainer) -> str:
    """The run's facts, logged before training: where it goes, the data, the model, the device and threads."""
    epochs = cfg.trainer.max_epochs if cfg.trainer.max_epochs and cfg.trainer.max_epochs > 0 else "no limit"
    limits = ", ".join(f"{k}={cfg[k]}" for k in ("max_updates", "max_images") if cfg[k])
    optimizer = module.optimizer.func.__name__ if hasattr(module.optimizer, "func") else str(module.optimizer)
    return "\n".join(
        [
            f"run folder: {run_dir}",
            f"dataset: {datamodule.name}, {len(datamodule.train_set):,} training samples ({datamodule.source})",
            f"model: D {_parameters(module.discriminator)}, G {_parameters(module.generator)}"
            + (f", InfoGAN's Q head {_parameters(module.information)}" if module.information is not None else "")
            + "; "
            f"loss {type(module.loss).__name__}, optimizer {optimizer} ({_rates(cfg, module)}), "
            f"noise {type(module.noise).__name__} ({module.latent_dim} values)",
            f"training: batch {datamodule.batch_size}, epochs {epochs}{', ' + limits if limits else ''}; "
            f"device {trainer.strategy.root_device}, {torch.get_num_threads()} thread(s), "
            f"{trainer.world_size} process(es), precision {trainer.precision}",
        ]
    )


def _already_done(cfg: DictConfig, saved: dict, datamodule, world_size: int) -> bool:
    """Has the run whose checkpoint holds ``saved`` already reached ``cfg``'s limits (updates, images, epochs)?"""
    state = saved.get("gan", {}).get("state")
    if state is None:  # a checkpoint from before the run kept its own state: resuming it is refused in the module
        return False
    if (cfg.max_updates and state["updates"] >= cfg.max_updates) or (
        cfg.max_images and state["images"] >= cfg.max_images
    ):
        return True
    epochs = cfg.trainer.max_epochs
    if epochs is None or epochs < 0:
        return False
    return state["epoch"] + (state["epoch_updates"] >= datamodule.updates_per_epoch(world_size)) >= epochs


def _set_threads(cfg: DictConfig) -> None:
    """torch's thread count for the run (``threads``), with a warning when it exceeds the cores this process has."""
    threads = torch_threads(cfg.threads, cfg.data.batch_size)
    if threads:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        if cores and threads > cores:
            log.warning(
                f"WARNING: threads={threads} but this machine gives the process {cores} core(s): "
                "threads beyond the cores wait for each other and slow training down (often many times)"
            )
        torch.set_num_threads(threads)


def _callbacks(cfg: DictConfig, checkpoints: Path, epoch_metrics) -> list:
    """The run's Lightning callbacks, in the order they must run."""
    return [
        Checkpoints(checkpoints, cfg.checkpoints.every_minutes),
        ConfigInCheckpoints(cfg),
        SaveOnInterrupt(checkpoints / "last.ckpt"),
        *([ImageProgressBar()] if cfg.trainer.enable_progress_bar else []),  # before the metrics: the epoch's bar
        *([epoch_metrics] if epoch_metrics else []),  # closes before its metrics line is logged
        # the user's own (conf/callbacks/), after the metrics they may monitor
        *(instantiate(callback) for callback in cfg.callbacks.values()),
    ]


def fit_trainer(cfg: DictConfig, run_dir: Path, ckpt_path=None, saved: dict | None = None, began=None):
    """Lightning's part of ``train``: fit the GAN of ``cfg`` into ``run_dir`` (TensorBoard events, checkpoints).

    Returns (trainer, module, datamodule, epoch metrics or None, seconds in ``Trainer.fit``); None, before any
    training or writing, when ``ckpt_path`` holds a run that has already reached ``cfg``'s limits. ``began``, a list
    that gets True appended once training begins (an error before that leaves the run folder's files as they were).

    Longer than 50 lines: Lightning's set-up is one sequence whose order matters (data before seeding, the networks
    after it, the trainer last), read top to bottom."""
    _set_threads(cfg)
    datamodule = instantiate(cfg.data)
    datamodule.prepare_data()  # download and parse before the networks are seeded and built
    epoch_metrics = None
    if cfg.metrics.enabled:
        epoch_metrics = EpochMetrics(
            judge_metrics(cfg, datamodule),
            metric_samples(cfg, datamodule),
            cfg.seed,
            truncation=cfg.metrics.truncation,
            drs=cfg.metrics.drs,
        )
    _check_enough_data(cfg, datamodule)
    _warn_if_tiny(cfg, datamodule)
    L.seed_everything(cfg.seed, verbose=False)  # the initial weights and the first noise follow `seed`
    module = build_module(cfg)
    checkpoints = run_dir / "checkpoints"
    if ckpt_path is not None and saved is None:
        saved = load_tensors(ckpt_path)
    if saved is not None:  # a mismatch is named here, in one line, not by Lightning inside fit
        check_weights_fit(module, saved.get("state_dict"), ckpt_path)
    trainer = instantiate(
        cfg.trainer,
        default_root_dir=run_dir,
        # hparams are logged once, at the end, with the run's final metrics (gan.training.run_record.log_hparams)
        logger=TensorBoardLogger(save_dir=run_dir, name="", version="", default_hp_metric=False),
        callbacks=_callbacks(cfg, checkpoints, epoch_metrics),
        plugins=[AtomicCheckpointIO(loaded=None if ckpt_path is None else (ckpt_path, saved))],
    )
    if ckpt_path is not None and _already_done(cfg, saved, datamodule, trainer.world_size):
        return None
    keep_run_log()  # training begins: the run folder's train.log is written from here on, its earlier lines first
    if began is not None:
        began.append(True)
    log.info(describe_run(cfg, run_dir, module, datamodule, trainer))
    started = time.perf_counter()
    # Lightning's signal connector leaves its SIGTERM handler installed after fit: a notebook kernel or a test
    # process that trained once would then ignore SIGTERM. The process's handlers are put back as they were.
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        trainer.fit(module, datamodule=datamodule, ckpt_path=ckpt_path)
    finally:
        for signum, handler in handlers.items():
            if handler is not None:  # None: a handler not installed from Python, which cannot be put back
                signal.signal(signum, handler)
    return trainer, module, datamodule, epoch_metrics, time.perf_counter() - started


def final_two_sample(cfg: DictConfig, module, datamodule) -> dict[str, float]:
    """``metrics.two_sample``: the classifier two-sample test on the trained G's fresh images and its floor
    (gan/evaluation/two_sample.py), after the run, in summary.json's final metrics."""
    from gan.evaluation.two_sample import TwoSampleTest, two_sample_metrics
    from gan.models.sampling import draw_fresh

    test = TwoSampleTest()
    drawn = draw_fresh(module, test.images, cfg.seed)
    cache = Path(datamodule.data_dir) / "judges" / f"{datamodule.name}-two-sample-floor.json"
    values = two_sample_metrics(drawn.samples.cpu(), datamodule.train_set.images, cache, test)
    log.info(f"two-sample test: {values['two_sample']:.1%} (floor {values['two_sample_floor']:.1%}: two halves of "
             "the real images; 50%: a fresh classifier cannot tell them apart)")  # fmt: skip
    return values


def train(cfg: DictConfig, run_dir, ckpt_path=None, saved: dict | None = None) -> dict | None:
    """Train one GAN into ``run_dir`` and write its record (PNGs, progress.csv, summary.json); return the summary.

    With ``ckpt_path`` the run continues from that checkpoint: weights, optimizers, data position and
    the noise RNG, so the result equals an uninterrupted run's; ``saved``, its contents when the caller has read
    them already (the file is then not read again). A resumed run that has nothing left to do (its
    limits already reached) leaves its record as it was and returns None. A run that fails once training has
    begun says so in ``status.json``.
    """
    check_config(cfg, fresh=ckpt_path is None)
    run_dir = Path(run_dir)
    refuse_links(run_dir)  # nothing of the run is written through a link (file_safety.RUN_ENTRIES)
    with run_lock(run_dir):  # one writer per run: a second process training into run_dir is refused, naming us
        began: list[bool] = []
        try:
            fitted = fit_trainer(cfg, run_dir, ckpt_path, saved, began)
        except (Exception, KeyboardInterrupt) as error:
            # something of this command's training is kept: say how it ended; an error before training began
            # (a resume refused) leaves a finished run's status.json as it was
            if began and (run_dir / "checkpoints").is_dir():
                stopped = isinstance(error, TrainingInterrupted | KeyboardInterrupt)
                write_status(run_dir, "interrupted" if stopped else "failed", str(error) or type(error).__name__)
            raise
        if fitted is None:  # resumed with nothing left to do
            return None
        trainer, module, datamodule, epoch_metrics, seconds = fitted
        objective = OmegaConf.select(cfg, "metrics.objective", default="judge_fd")
        summary = summarize(run_dir, trainer, module, datamodule, epoch_metrics, seconds, objective)
        if OmegaConf.select(cfg, "metrics.two_sample", default=False):
            summary["metrics"] = {**(summary["metrics"] or {}), **final_two_sample(cfg, module, datamodule)}
        if trainer.is_global_zero:  # one process writes the run's files
            write_record(run_dir, module, datamodule, summary)
            write_status(run_dir, "finished")
            log_hparams(trainer.logger, cfg, summary)
        return summary
