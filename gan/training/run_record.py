"""A finished run's record in its folder: the sample grid, the loss curves, progress.csv and summary.json."""

import csv
import json
from pathlib import Path

from omegaconf import OmegaConf

from gan.evaluation.plots import save_loss_curves, save_sample_grid, save_scatter
from gan.file_safety import atomic_path


def loss_balance(progress: dict, equilibrium: float | None) -> float | None:
    """How far each network's loss sits from the balance point over its last quarter of records, summed:
    0 when D and G end at equilibrium. The search objective when no judge metrics are computed. None for a loss
    whose D and G balance at different values (``equilibrium=None``: hinge, wgan, nonsaturating)."""
    tails = [records[-max(1, len(records) // 4) :] for records in progress.values() if records]
    if not tails or equilibrium is None:
        return None
    return sum(abs(sum(v for _, v in tail) / len(tail) - equilibrium) for tail in tails)


def search_objective(final_metrics: dict | None, balance: float | None, objective: str = "judge_fd") -> float | None:
    """``judge_fd``: judge-FD when a judge measured the run, the mode KL on a 2D mixture; ``low_quality``: the share
    of samples that are not good, 1 - confident (images) or 1 - high quality (2D points). Without metrics: the loss
    balance."""
    if not final_metrics:
        return balance
    if objective == "low_quality":
        return 1 - final_metrics.get("confident", final_metrics.get("high_quality", 0.0))
    return final_metrics.get("judge_fd", final_metrics["kl"])


def summarize(run_dir, trainer, module, datamodule, epoch_metrics, seconds: float, objective: str = "judge_fd") -> dict:
    """What a run did and measured, as summary.json holds it."""
    last = {network: records[-1][1] if records else None for network, records in module.progress.items()}
    final_metrics = epoch_metrics.history[-1] if epoch_metrics and epoch_metrics.history else None
    balance = loss_balance(module.progress, module.loss.equilibrium)
    return {
        "run_dir": str(run_dir),
        "epochs": trainer.current_epoch,
        "updates": module.updates,
        "images": module.state.images,
        "fit_seconds": round(seconds, 3),
        "final_d_loss": last["D"],  # the last recorded (every log_every-th) loss of each network
        "final_g_loss": last["G"],
        # the last step's mean losses (a chunk's at batch size 1), as the progress bar showed them at the end
        "last_d_loss": module.last_losses[0] if module.last_losses else None,
        "last_g_loss": module.last_losses[1] if module.last_losses else None,
        "loss_balance": balance,
        "dataset": datamodule.name,
        "judge": epoch_metrics.metrics.about if epoch_metrics else None,
        "metrics": final_metrics,
        "metrics_per_epoch": epoch_metrics.history if epoch_metrics else [],
        # what a hyperparameter search minimises (metrics.objective): judge-FD or 1 - confident when measured,
        # else the loss balance
        "objective": search_objective(final_metrics, balance, objective),
        "processes": trainer.world_size,
        "ranks_agree": module.ranks_agree,  # checked after multi-process training; null in one process
        "machine": machine(trainer),  # what the results registry records beside the numbers (scripts/results.py)
    }


def machine(trainer) -> dict:
    """Where and with what a run trained: the CPU's model, the device, torch's threads, the checkout's commit
    (``+changes`` when it had uncommitted ones) and the date."""
    import datetime
    import subprocess

    import torch

    from gan.evaluation.registry import this_cpu

    commit = None
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10)  # fmt: skip
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)  # fmt: skip
        if head.returncode == 0:
            commit = head.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):  # no git here: the record says so by a null
        pass
    return {
        "cpu": this_cpu(),
        "device": str(trainer.strategy.root_device),
        "threads": torch.get_num_threads(),
        "commit": commit,
        "date": datetime.date.today().isoformat(),
        "torch": torch.__version__,
    }


# the config values a sweep varies, as TensorBoard's HParams columns (paths and plumbing left out)
HPARAM_KEYS = (
    "seed",
    "model.latent_dim",
    "model.pack",
    "model.ema_decay",
    "model.info_weight",
    "model.d_update",
    "model.discriminator._target_",
    "model.discriminator.leaky_slope",
    "model.discriminator.layer_norm",
    "model.discriminator.minibatch_std",
    "model.discriminator.spectral_norm",
    "model.generator._target_",
    "model.generator.leaky_slope",
    "model.generator.layer_norm",
    "loss._target_",
    "optimizer._target_",
    "optimizer.lr",
    "noise._target_",
    "data.name",
    "data.batch_size",
    "data.shuffle",
    "trainer.max_epochs",
    "max_updates",
    "max_images",
)
HPARAM_METRICS = ("modes", "kl", "confident", "judge_fd", "judge_is", "conditional_accuracy")


def hparams(cfg) -> dict:
    """The run's choices, one TensorBoard HParams column each: class targets by their short name."""
    values = {}
    for key in HPARAM_KEYS:
        value = OmegaConf.select(cfg, key, default=None)
        if key.endswith("_target_") and isinstance(value, str):
            key, value = key.removesuffix("._target_"), value.rsplit(".", 1)[-1]
        values[key] = "null" if value is None else value
    return values


def log_hparams(logger, cfg, summary: dict) -> None:
    """Write the run's choices and final numbers to TensorBoard's HParams tab, so a sweep's runs can be sorted
    and compared in TensorBoard itself (``hparams/*``; the judge's metrics when measured)."""
    final = summary["metrics"] or {}
    metrics = {f"hparams/{k}": float(final[k]) for k in HPARAM_METRICS if k in final}
    metrics["hparams/loss_balance"] = float("nan") if summary["loss_balance"] is None else summary["loss_balance"]
    metrics["hparams/fit_seconds"] = summary["fit_seconds"]
    choices = hparams(cfg)
    logger.log_hyperparams(choices, metrics)
    # Lightning closed its writer when fit ended, so this reopened one: close it, or the HParams events may
    # sit in its buffer until the process exits (and be lost if it ends abruptly)
    logger.experiment.close()
    with atomic_path(Path(logger.log_dir) / "hparams.yaml") as tmp:  # the same, as a file beside the events
        tmp.write_text(OmegaConf.to_yaml({"hparams": choices, "metrics": metrics}))


def write_record(run_dir, module, datamodule, summary: dict) -> None:
    """samples.png, loss_progress.png, progress.csv and summary.json in ``run_dir``, each written whole. For a 2D
    mixture samples.png is the scatter of 2,500 samples over the mode centres."""
    run_dir = Path(run_dir)
    if module.draws_points:
        save_scatter(module.points().cpu(), datamodule.mixture.means, run_dir / "samples.png", _scatter_title(summary))
    else:
        rows, cols = module.sample_grid
        images = module.sample(module.fixed_noise, module.fixed_labels).cpu()
        names = datamodule.class_names
        titles = [f"asked: {names[d]}" for d in module.fixed_labels.tolist()] if module.classes else None
        save_sample_grid(images, rows, cols, run_dir / "samples.png", titles=titles)
    save_loss_curves(module.progress, module.loss.equilibrium, run_dir / "loss_progress.png")
    _write_loss_records(module.progress, run_dir / "progress.csv")
    with atomic_path(run_dir / "summary.json") as tmp:
        tmp.write_text(json.dumps(summary, indent=2) + "\n")


def _scatter_title(summary: dict) -> str:
    metrics = summary.get("metrics") or {}
    title = f"{summary['updates']:,} updates"
    if "high_quality" in metrics:
        title += f": {metrics['modes']}/{metrics['possible_modes']} modes, {metrics['high_quality']:.0%} high quality"
    return title


def _write_loss_records(progress: dict, path: Path) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["network", "update", "loss"])
        for network, records in progress.items():
            writer.writerows((network, step, loss) for step, loss in records)


def write_status(run_dir, status: str, error: str | None = None) -> None:
    """``status.json``: how the run ended (``finished``, or ``failed`` with the error), for report.py."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        return
    with atomic_path(run_dir / "status.json") as tmp:
        tmp.write_text(json.dumps({"status": status, "error": error}, indent=2) + "\n")
