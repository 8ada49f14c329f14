"""The Python entry points, for notebooks and scripts: the same config, run folders and outputs as the command line.

import gan
run = gan.train("model=baseline", "max_updates=2000")    # as: python scripts/train.py model=baseline ...
run.samples(range(6))                                      # the 2x3 panel, shown inline in a notebook
run.losses.tail()                                          # the recorded losses, a pandas DataFrame
table, figure = gan.compare("lightning_logs/multirun/<time>")
"""

__all__ = ["Run", "Samples", "compare", "load", "train"]

import logging
import sys
from datetime import datetime
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from omegaconf import DictConfig, OmegaConf

from gan.api.drawing import Drawing
from gan.api.exploring import Exploring
from gan.api.samples import Samples
from gan.errors import ConfigError, MissingFileError
from gan.file_safety import atomic_path
from gan.logs import log


class Run(Drawing, Exploring):
    """A trained (or interrupted) run, loaded from its folder or a checkpoint: ``gan.load(path)``."""

    def __init__(self, path):
        from gan.file_safety import refuse_links
        from gan.training.saved_runs import load_run, run_folder

        self.module, self.config, self.checkpoint = load_run(path)
        self.folder = run_folder(self.checkpoint).resolve()
        refuse_links(self.folder)  # generated/, evaluation/, export-*: never written through a link
        self._datamodule = self._scorer = None  # built when first needed

    def __repr__(self) -> str:
        return f"Run({str(self.folder)!r})"

    def metrics(
        self, samples: int | None = None, seed: int | None = None, truncation=None, drs=False, drs_percentile=80.0
    ):
        """The run's numbers as ``evaluate.py`` prints them (modes, KL, confident or high quality, precision,
        recall, density, coverage, judge-FD, judge-IS), optionally with a sampling-time cure.

        >>> run.metrics()["modes"]"""
        from gan.models.sampling import draw_fresh, draw_fresh_kept
        from gan.training.from_config import metric_samples

        cure = self._drs(drs, drs_percentile, self.config.seed)
        count = samples or metric_samples(self.config, self._data())
        seed = self.config.seed if seed is None else seed
        if cure is None:
            drawn = draw_fresh(self.module, count, seed, truncation)
        else:
            drawn = draw_fresh_kept(self.module, count, cure, seed, truncation)
        values = self.scorer(drawn.samples, drawn.digits)
        if cure is not None:
            values["drs_acceptance"] = cure.acceptance  # the share of proposals DRS kept
        return values

    def two_sample(self, samples: int | None = None, seed: int | None = None) -> dict:
        """The classifier two-sample test (gan/evaluation/two_sample.py) on ``samples`` fresh images (at most the
        test's 6,000) against the training images: ``two_sample``, a fresh classifier's held-out accuracy (50%: it
        cannot tell them apart), and ``two_sample_floor``, the same on two halves of the real images (cached).

        >>> run.two_sample()["two_sample"]"""
        from gan.evaluation.two_sample import TwoSampleTest, two_sample_metrics
        from gan.models.sampling import draw_fresh

        test, data = TwoSampleTest(), self._data()
        if self.module.draws_points:
            raise ConfigError("the two-sample test reads images: a 2D mixture's modes are counted instead")
        count = min(test.images, samples or test.images)
        drawn = draw_fresh(self.module, count, self.config.seed if seed is None else seed)
        cache = data.data_dir / "judges" / f"{data.name}-two-sample-floor.json"
        return two_sample_metrics(drawn.samples, data.train_set.images, cache, test)

    def real_metrics(self, samples: int | None = None) -> dict:
        """The same numbers for the dataset's own first ``samples`` training samples: the reference row.

        >>> run.real_metrics()["confident"]"""
        from gan.training.from_config import metric_samples

        return self.scorer(self._data().train_set.images[: samples or metric_samples(self.config, self._data())])

    @property
    def scorer(self):
        """What scores samples for ``metrics``: ``JudgeMetrics`` (a judge trained on the dataset), or
        ``MixtureMetrics`` on a 2D mixture; built once. ``run.scorer.about`` describes the judge."""
        from gan.training.from_config import judge_metrics

        if self._scorer is None:
            self._scorer = judge_metrics(self.config, self._data())
        return self._scorer

    @property
    def class_names(self) -> list[str]:
        """The dataset's class names, by index (MNIST: "0" .. "9"; Fashion-MNIST: "T-shirt/top" .. "Ankle boot")."""
        return list(self._data().class_names)

    @property
    def losses(self) -> pd.DataFrame:
        """Every recorded loss (every ``log_every``-th step of each network): columns network, update, loss.

        >>> run.losses.groupby("network").loss.mean()"""
        progress = self.folder / "progress.csv"
        if progress.is_file():
            return pd.read_csv(progress)
        return pd.DataFrame(columns=["network", "update", "loss"])

    def plot_losses(self) -> Figure:
        """The walkthrough's ``plot_progress``: one panel per network, with the balance line.

        >>> run.plot_losses()"""
        from gan.evaluation.plots import loss_figure

        frame = self.losses
        progress = {n: list(zip(g["update"], g["loss"], strict=True)) for n, g in frame.groupby("network")}
        return loss_figure(progress or {"D": [], "G": []}, self.module.loss.equilibrium)

    def _data(self):
        from hydra.utils import instantiate

        if self._datamodule is None:
            self._datamodule = instantiate(self.config.data)
            self._datamodule.setup()
        return self._datamodule


def load(path) -> Run:
    """A run back from its folder (its last checkpoint) or from any checkpoint file.

    >>> run = gan.load("lightning_logs/model=baseline/2026-11-29_16-00-00")
    >>> run.config.model.generator._target_
    'gan.models.nets.Generator'"""
    return Run(path)


def train(*overrides: str, folder=None) -> Run:
    """Train as ``python scripts/train.py OVERRIDES`` does: the same config, a run folder named the same way
    under ``lightning_logs/`` (or ``folder``) with the same files; returns the run, loaded.

    >>> run = gan.train("model=improved", "noise=randn", "max_updates=5000")"""
    from gan.config import compose
    from gan.file_safety import refuse_links
    from gan.training.config_checks import check_config
    from gan.training.fit import train as train_config
    from gan.training.run_folders import new_folder, run_name

    cfg = compose(*overrides)
    check_config(cfg)  # a bad value is refused before any folder is made
    if folder is None:
        now = datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
        folder = new_folder(f"lightning_logs/{run_name(','.join(sorted(overrides)))}", now)
    folder = Path(folder)
    refuse_links(folder)
    _record_config(folder, cfg, overrides)
    with _logged_to(folder / "train.log"):
        train_config(cfg, folder)
    return load(folder)


def compare(sweep) -> tuple[pd.DataFrame, Figure]:
    """A sweep's runs side by side: one row per run (what it varied, its status, final losses and metrics) and the
    report's figure (loss curves and per-epoch metrics), as ``scripts/report.py`` draws them.

    >>> table, figure = gan.compare("lightning_logs/multirun/2026-11-29_15-43-40")"""
    from gan.evaluation.sweep_report import read_sweep, report_figure, varying_keys

    runs = read_sweep(sweep)
    if not runs:
        raise MissingFileError(f"{sweep}: no run folders (with .hydra/overrides.yaml) found")
    keys = varying_keys(runs)
    rows = []
    for run in runs:
        summary = run["summary"] or {}
        metrics = {k: v for k, v in (summary.get("metrics") or {}).items() if not isinstance(v, dict)}
        rows.append(
            {
                **{k: run["overrides"].get(k) for k in keys},
                "status": run["status"],
                "updates": summary.get("updates"),
                "final_d_loss": summary.get("final_d_loss"),
                "final_g_loss": summary.get("final_g_loss"),
                **metrics,
            }
        )
    return pd.DataFrame(rows), report_figure(runs)


def _record_config(folder: Path, cfg: DictConfig, overrides) -> None:
    """``.hydra/config.yaml`` and ``overrides.yaml``, as a command-line run has them (report.py reads them)."""
    with atomic_path(folder / ".hydra" / "config.yaml") as tmp:
        tmp.write_text(OmegaConf.to_yaml(cfg))
    with atomic_path(folder / ".hydra" / "overrides.yaml") as tmp:
        tmp.write_text(OmegaConf.to_yaml(list(overrides)))


class _logged_to:
    """The run's lines on stdout and in its train.log, as the command line shows them (Hydra sets that up there)."""

    def __init__(self, path: Path):
        self.handlers = [logging.StreamHandler(sys.stdout), logging.FileHandler(path, delay=True)]
        self.handlers[0].setFormatter(logging.Formatter("%(message)s"))
        self.handlers[1].setFormatter(logging.Formatter("[%(asctime)s][%(levelname)s] %(message)s"))

    def __enter__(self):
        self.level = log.level
        log.setLevel(logging.INFO)
        for handler in self.handlers:
            log.addHandler(handler)

    def __exit__(self, *exc):
        for handler in self.handlers:
            log.removeHandler(handler)
            handler.close()
        log.setLevel(self.level)
