"""The Python entry points, for notebooks and scripts: the same config, run folders and outputs as the command line.

import gan
run = gan.train("model=baseline", "max_updates=2000")    # as: python scripts/train.py model=baseline ...
run.samples(range(6))                                      # the 2x3 panel, shown inline in a notebook
run.losses.tail()                                          # the recorded losses, a pandas DataFrame
table, figure = gan.compare("lightning_logs/multirun/<time>")
"""

import itertools
import logging
import sys
from collections.abc import Iterable
from datetime import datetime
from io import BytesIO
from pathlib import Path

import pandas as pd
import torch
from matplotlib.figure import Figure
from omegaconf import DictConfig, OmegaConf

from gan.errors import ConfigError, MissingFileError
from gan.file_safety import atomic_path
from gan.logs import log
from gan.rules import MAX_SEEDS, MAX_STEPS


class Samples:
    """Generated samples with the seeds that name them; shown as a picture in a notebook (``_repr_png_``).

    ``images`` [N, channels * 784] in [0, 1] (or ``points`` [N, 2] for a 2D mixture)."""

    def __init__(self, images: torch.Tensor, seeds: list[int], rows: int, cols: int, means=None, labels=None):
        self.images, self.seeds, self.rows, self.cols = images, seeds, rows, cols
        self.means, self.labels = means, labels  # a 2D mixture's mode centres; the pictures' titles

    @property
    def points(self) -> torch.Tensor:
        return self.images

    def figure(self) -> Figure:
        from gan.data.pictures import scatter_figure
        from gan.evaluation.plots import sample_grid_figure

        if self.means is not None:
            return scatter_figure(self.images, self.means, f"{len(self.images):,} samples")
        return sample_grid_figure(self.images, self.rows, self.cols, titles=self.labels)

    def _repr_png_(self) -> bytes:
        buffer = BytesIO()
        self.figure().savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()

    def __len__(self) -> int:
        return len(self.images)


class Run:
    """A trained (or interrupted) run, loaded from its folder or a checkpoint: ``gan.load(path)``."""

    def __init__(self, path):
        from gan.training.saved_runs import load_run, run_folder

        self.module, self.config, self.checkpoint = load_run(path)
        self.folder = run_folder(self.checkpoint).resolve()
        self._datamodule = self._measure = None  # built when first needed

    def __repr__(self) -> str:
        return f"Run({str(self.folder)!r})"

    def samples(self, seeds: Iterable[int] = range(6), cols: int | None = None, truncation: float | None = None):
        """The images of integer ``seeds`` (the training panel's and ``generate.py``'s), ``cols`` to a row.

        >>> run.samples(range(6))           # the walkthrough's 2x3 panel
        >>> run.samples([7, 8, 9], cols=3)  # three chosen seeds
        A 2D run returns the points of seeds 0 .. 2,499 (``seeds=range(2500)``) as a scatter over the mode centres."""
        from gan.models.cures import truncate
        from gan.models.sampling import noise_vectors, render

        seeds = _bounded_seeds(seeds)
        if self.module.draws_points and len(seeds) == 6:
            seeds = list(range(2500))
        z = noise_vectors(self.module.noise, self.module.latent_dim, seeds)
        if truncation is not None:
            z = truncate(z, truncation, self.module.noise.centre)
        if self.module.draws_points:
            means = self._data().mixture.means
            return Samples(render(self.module.sampler, z, batch_size=len(z)), seeds, 1, 1, means=means)
        labels = torch.arange(len(seeds)) % (self.module.classes or 1)
        images = self.module.sample(z, labels)
        cols = cols or min(len(seeds), 3 if len(seeds) == 6 else 8)
        return Samples(images, seeds, -(-len(seeds) // cols), cols)

    def interpolate(self, a: int, b: int, steps: int = 12, spherical: bool = False) -> Samples:
        """Seed ``a`` to seed ``b`` in ``steps`` images (the walkthrough's interpolation).

        >>> run.interpolate(3, 8)"""
        from gan.evaluation.explore import interpolate
        from gan.models.sampling import noise_vectors

        if not (isinstance(steps, int) and 2 <= steps <= MAX_STEPS):
            raise ConfigError(f"steps={steps}: must be an integer in 2 .. {MAX_STEPS}")
        z = interpolate(*noise_vectors(self.module.noise, self.module.latent_dim, [a, b]), steps, spherical)
        labels = torch.zeros(steps, dtype=torch.long)
        return Samples(self.module.sample(z, labels), [a, b], 1, steps)

    def metrics(
        self, samples: int | None = None, seed: int | None = None, truncation=None, drs=False, drs_percentile=80.0
    ):
        """The run's numbers as ``evaluate.py`` prints them (modes, KL, confident or high quality, precision,
        recall, density, coverage, judge-FD, judge-IS), optionally with a sampling-time cure.

        >>> run.metrics()["modes"]"""
        from gan.evaluation.metrics import sample_images
        from gan.models.cures import RejectionSampler
        from gan.training.from_config import metric_samples

        sampler = None
        if drs:
            sampler = RejectionSampler(self.module.discriminator, percentile=drs_percentile, seed=self.config.seed)
        count = samples or metric_samples(self.config, self._data())
        seed = self.config.seed if seed is None else seed
        drawn = sample_images(self.module.sampler, self.module.noise, count, seed, truncation, sampler)
        values = self.measure(*drawn)
        if sampler is not None:
            values["drs_acceptance"] = sampler.acceptance  # the share of proposals DRS kept
        return values

    def real_metrics(self, samples: int | None = None) -> dict:
        """The same numbers for the dataset's own first ``samples`` training samples: the reference row.

        >>> run.real_metrics()["confident"]"""
        from gan.training.from_config import metric_samples

        return self.measure(self._data().train_set.images[: samples or metric_samples(self.config, self._data())])

    @property
    def measure(self):
        """The run's metrics (``JudgeMetrics``, or ``MixtureMetrics`` on a 2D mixture), built once."""
        from gan.training.from_config import judge_metrics

        if self._measure is None:
            self._measure = judge_metrics(self.config, self._data())
        return self._measure

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

    def export(self, out, count: int = 10_000, fmt: str = "png") -> Path:
        """Seeds 0 .. ``count`` - 1 as a folder of PNG files or one .npz, for torch-fidelity or clean-fid.

        >>> run.export("exported", count=100)"""
        from gan.evaluation.export import export_images

        return export_images(self.samples(range(count)).images, out, fmt)

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


def _bounded_seeds(seeds: Iterable[int]) -> list[int]:
    """``seeds`` as a list, refused past ``MAX_SEEDS`` before any is drawn (``range(10**7)`` never materialises)."""
    if hasattr(seeds, "__len__") and len(seeds) > MAX_SEEDS:
        raise ConfigError(f"{len(seeds):,} seeds: one picture draws at most {MAX_SEEDS:,}")
    seeds = list(itertools.islice(seeds, MAX_SEEDS + 1))
    if len(seeds) > MAX_SEEDS:
        raise ConfigError(f"more than {MAX_SEEDS:,} seeds: one picture draws at most {MAX_SEEDS:,}")
    return seeds


def train(*overrides: str, folder=None) -> Run:
    """Train as ``python scripts/train.py OVERRIDES`` does: the same config, a run folder named the same way
    under ``lightning_logs/`` (or ``folder``) with the same files; returns the run, loaded.

    >>> run = gan.train("model=improved", "noise=randn", "max_updates=5000")"""
    from gan.config import compose
    from gan.training.config_checks import check_config
    from gan.training.fit import train as train_config
    from gan.training.run_folders import new_folder, run_name

    cfg = compose(*overrides)
    check_config(cfg)  # a bad value is refused before any folder is made
    if folder is None:
        now = datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
        folder = new_folder(f"lightning_logs/{run_name(','.join(sorted(overrides)))}", now)
    folder = Path(folder)
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
        self.handlers = [logging.StreamHandler(sys.stdout), logging.FileHandler(path)]
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
