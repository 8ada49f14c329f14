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
from gan.rules import MAX_EXPORT, MAX_SEEDS, MAX_STEPS, NOISE_SEED


class Samples:
    """Generated samples with the seeds that name them; shown as a picture in a notebook (``_repr_png_``).

    ``images`` [N, channels * 784] in [0, 1] (or ``points`` [N, 2] for a 2D mixture)."""

    def __init__(self, images, seeds, rows, cols, means=None, labels=None, noise=None, digits=None):
        self.images, self.seeds, self.rows, self.cols = images, seeds, rows, cols
        self.means, self.labels = means, labels  # a 2D mixture's mode centres; the pictures' titles
        self.noise, self.digits = noise, digits  # the vectors G was given (after truncation); a conditional G's digits

    @property
    def points(self) -> torch.Tensor:
        return self.images

    def figure(self) -> Figure:
        from gan.data.pictures import scatter_figure
        from gan.evaluation.plots import sample_grid_figure

        if self.means is not None:
            return scatter_figure(self.images, self.means, f"{len(self.images):,} samples")
        return sample_grid_figure(self.images, self.rows, self.cols, titles=self.labels)

    def save(self, png, cmap: str = "Blues", titles=None, **about) -> Path:
        """The picture as ``png``, and beside it (``.pt``) its tensors with ``about``: seeds, noise, digits, and the
        images and titles (or a 2D run's points). ``titles``: one per image, or a scatter's title."""
        from gan.evaluation.plots import save_sample_grid, save_scatter

        png = Path(png)
        if self.means is not None:
            save_scatter(self.points, self.means, png, titles or f"{len(self):,} samples")
            tensors = {"points": self.points}
        else:
            titles = titles or self.labels
            save_sample_grid(self.images, self.rows, self.cols, png, cmap=cmap, titles=titles)
            tensors = {"images": self.images, "titles": titles}
        with atomic_path(png.with_suffix(".pt")) as tmp:
            torch.save(about | {"seeds": self.seeds, "noise": self.noise, "digits": self.digits} | tensors, tmp)
        return png

    def _repr_png_(self) -> bytes:
        buffer = BytesIO()
        self.figure().savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()

    def __len__(self) -> int:
        return len(self.images)


class Run:
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

    def samples(
        self,
        seeds: Iterable[int] | None = None,
        cols: int | None = None,
        truncation: float | None = None,
        digits=None,
        drs: bool = False,
        drs_percentile: float = 80.0,
    ) -> Samples:
        """The images of integer ``seeds`` (the training panel's and ``generate.py``'s), ``cols`` to a row; by
        default seeds 0 .. 5, the walkthrough's 2x3 panel.

        >>> run.samples(range(6))           # the walkthrough's 2x3 panel
        >>> run.samples([7, 8, 9], cols=3)  # three chosen seeds
        >>> run.samples(range(10), digits=7)  # a conditional run: ten 7s (or digits="Bag", or one per seed)
        ``truncation``: psi, the noise pulled towards its centre. ``drs``: the first ``len(seeds)`` seeds of
        0, 1, 2, ... whose images the run's own D keeps (discriminator rejection sampling), in place of ``seeds``.
        A 2D run returns the points of ``seeds`` (by default 0 .. 2,499, the training panel's) as a scatter over
        the mode centres; with ``drs``, that many fresh points that D keeps."""
        from gan.data.pictures import SCATTER_POINTS
        from gan.models.sampling import draw_fresh_kept, draw_seeds, draw_seeds_kept

        gan, cure = self.module, self._drs(drs, drs_percentile)
        if seeds is None:
            seeds = range(SCATTER_POINTS if gan.draws_points else 6)
        seeds = _bounded_seeds(seeds)
        if gan.draws_points:
            if cure is not None:  # fresh proposals, as the metrics draw them
                drawn = draw_fresh_kept(gan, len(seeds), cure, truncation=truncation)
            else:
                drawn = draw_seeds(gan, seeds, truncation=truncation)
            return Samples(drawn.samples, drawn.seeds, 1, 1, means=self._data().mixture.means, noise=drawn.noise)
        if cure is not None:
            drawn = draw_seeds_kept(gan, itertools.count(), len(seeds), cure, truncation=truncation)
        else:
            drawn = draw_seeds(gan, seeds, self._digits(digits, len(seeds)), truncation)
        cols = cols or min(len(seeds), 3 if len(seeds) == 6 else 8)  # six: the walkthrough's 2x3
        return Samples(drawn.samples, drawn.seeds, -(-len(seeds) // cols), cols, noise=drawn.noise, digits=drawn.digits)

    def interpolate(
        self, a: int, b: int, steps: int = 12, spherical: bool = False, digit=None, truncation: float | None = None
    ) -> Samples:
        """Seed ``a`` to seed ``b`` in ``steps`` images (the walkthrough's interpolation); ``spherical`` (slerp)
        for Gaussian noise; a conditional run draws the whole path as ``digit`` (default 0).

        >>> run.interpolate(3, 8)"""
        from gan.evaluation.explore import interpolate
        from gan.models.sampling import noise_vectors

        _check_steps(steps)
        a, b = _bounded_seeds([a, b])
        z = interpolate(*noise_vectors(self.module.noise, self.module.latent_dim, [a, b]), steps, spherical)
        return self._picture(z, [a, b], self._one_digit(digit, steps), truncation)

    def arithmetic(self, a: int, b: int, digit=None, truncation: float | None = None) -> Samples:
        """The walkthrough's seed arithmetic: seeds ``a``, ``b``, ``a + b`` and ``a - b`` side by side.

        >>> run.arithmetic(3, 8)"""
        from gan.evaluation.explore import arithmetic
        from gan.models.sampling import noise_vectors

        a, b = _bounded_seeds([a, b])
        z, labels = arithmetic(*noise_vectors(self.module.noise, self.module.latent_dim, [a, b]))
        return self._picture(z, [a, b], self._one_digit(digit, len(z)), truncation, labels)

    def interpolate_digits(self, seed: int, a, b, steps: int = 12, truncation: float | None = None) -> Samples:
        """A conditional run: one seed, its digit input moved from class ``a`` to class ``b`` in ``steps`` images.

        >>> run.interpolate_digits(5, 1, 7)"""
        from gan.evaluation.explore import interpolate
        from gan.models.sampling import noise_vectors, one_hot

        _check_steps(steps)
        (seed,) = _bounded_seeds([seed])
        (first,), (last,) = self._digits(a, 1), self._digits(b, 1)
        rows = interpolate(one_hot(first, self.module.classes), one_hot(last, self.module.classes), steps)
        z = noise_vectors(self.module.noise, self.module.latent_dim, [seed]).repeat(steps, 1)
        return self._picture(z, [seed], rows, truncation)

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

    def export(self, out=None, count: int = 10_000, fmt: str = "png", truncation: float | None = None) -> Path:
        """Seeds 0 .. ``count`` - 1, drawn as ``samples`` draws them, as a folder of PNG files or one .npz, for
        torch-fidelity or clean-fid; ``out`` defaults to RUN/export-<fmt>.

        >>> run.export("exported", count=100)"""
        from gan.evaluation.export import export_images
        from gan.models.sampling import draw_seeds

        if not (isinstance(count, int) and 1 <= count <= MAX_EXPORT):
            raise ConfigError(f"count={count}: must be an integer in 1 .. {MAX_EXPORT:,}")
        if self.module.draws_points:
            raise ConfigError(f"{self.folder} is a 2D run: its samples are points, not images to export")
        drawn = draw_seeds(self.module, range(count), truncation=truncation)
        return export_images(drawn.samples, out or self.folder / f"export-{fmt}", fmt)

    def _picture(self, z, seeds, digits, truncation, labels=None) -> Samples:
        """One row of images for the vectors ``z`` (a path or arithmetic on ``seeds``)."""
        from gan.models.sampling import draw_noise

        drawn = draw_noise(self.module, z, digits, truncation)
        return Samples(drawn.samples, seeds, 1, len(z), labels=labels, noise=drawn.noise, digits=digits)

    def _digits(self, digits, count: int) -> list[int] | None:
        """A conditional run's digits for ``count`` images: None (in turn), one class for all (7 or "Bag"), or
        one per image; each by index or name."""
        if digits is None:
            return None
        if self.module.classes is None:
            raise ConfigError(f"{self.folder} is not a conditional run (model=conditional): it takes no digit")
        from gan.evaluation.explore import class_index

        wanted = [digits] * count if isinstance(digits, int | str) else list(digits)
        if len(wanted) != count:
            raise ConfigError(f"{len(wanted)} digits for {count} images")
        return [class_index(str(d), self.class_names) for d in wanted]

    def _one_digit(self, digit, count: int) -> list[int] | None:
        """A seed path is drawn as one digit: ``digit``, else 0 (an unconditional run: none)."""
        if self.module.classes is None and digit is None:
            return None
        return self._digits(0 if digit is None else digit, count)

    def _drs(self, wanted: bool, percentile: float, seed: int = 0):
        """A fresh ``RejectionSampler`` over the run's own D when ``wanted``: the cure uses the GAN, never the judge."""
        if not wanted:
            return None
        from gan.models.sampling_cures import RejectionSampler

        return RejectionSampler(self.module.discriminator, percentile=percentile, seed=seed)

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


def _check_steps(steps) -> None:
    """An interpolation's image count: both ends, at most ``MAX_STEPS`` in one strip."""
    if not (isinstance(steps, int) and 2 <= steps <= MAX_STEPS):
        raise ConfigError(f"steps={steps}: must be an integer in 2 .. {MAX_STEPS}")


def _bounded_seeds(seeds: Iterable[int]) -> list[int]:
    """``seeds`` as a list, refused past ``MAX_SEEDS`` before any is drawn (``range(10**7)`` never materialises)."""
    if hasattr(seeds, "__len__") and len(seeds) > MAX_SEEDS:
        raise ConfigError(f"{len(seeds):,} seeds: one picture draws at most {MAX_SEEDS:,}")
    seeds = list(itertools.islice(seeds, MAX_SEEDS + 1))
    if len(seeds) > MAX_SEEDS:
        raise ConfigError(f"more than {MAX_SEEDS:,} seeds: one picture draws at most {MAX_SEEDS:,}")
    for seed in seeds:
        NOISE_SEED.check("seed", seed)
    return seeds


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
