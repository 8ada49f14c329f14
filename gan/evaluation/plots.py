"""The walkthrough's pictures: loss progress and sample grids, saved as PNG (atomically)."""

from pathlib import Path

import torch
from matplotlib.figure import Figure

from gan.data.pictures import as_picture, scatter_figure
from gan.file_safety import atomic_path


def _save(figure: Figure, path) -> Path:
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", bbox_inches="tight")
    return Path(path)


def save_loss_curves(progress: dict[str, list[tuple[int, float]]], equilibrium: float | None, path) -> Path:
    """``loss_figure``, saved as a PNG."""
    return _save(loss_figure(progress, equilibrium), path)


def loss_figure(progress: dict[str, list[tuple[int, float]]], equilibrium: float | None) -> Figure:
    """One panel per network, drawn as the walkthrough's ``plot_progress``, with the balance line."""
    figure = Figure(figsize=(16, 4 * len(progress)), layout="constrained")
    panels = figure.subplots(len(progress), 1, squeeze=False)[:, 0]
    for axes, (network, records) in zip(panels, progress.items(), strict=True):
        steps = [step for step, _ in records]
        axes.plot(steps, [loss for _, loss in records], ".", alpha=0.1, color="tab:blue")
        ticks = {0, 0.25, 0.5, 1.0}
        if equilibrium is not None:
            axes.axhline(equilibrium, color="tab:red", linewidth=1, label=f"equilibrium {equilibrium:.3g}")
            ticks.add(round(equilibrium, 3))
            axes.legend(loc="upper right")
        axes.set(ylim=(0, 1.0), yticks=sorted(ticks))
        axes.set(title=f"{network} loss", xlabel="update")
        axes.grid(True)
    return figure


def save_sample_grid(images: torch.Tensor, rows: int, cols: int, path, cmap="Blues", titles=None) -> Path:
    """``sample_grid_figure``, saved as a PNG."""
    return _save(sample_grid_figure(images, rows, cols, cmap, titles), path)


def sample_grid_figure(images: torch.Tensor, rows: int, cols: int, cmap="Blues", titles=None) -> Figure:
    """images [rows * cols, channels * 784] as the walkthrough's subplot grid (2x3, Blues); a 1 x N grid is a
    strip, and cells past the last image stay empty. Stacked images (3 channels) show in colour, whatever ``cmap``."""
    figure = Figure(figsize=(2.6 * cols, 2.6 * rows + (0.3 if titles else 0)), layout="constrained")
    for index, axes in enumerate(figure.subplots(rows, cols, squeeze=False).flat):
        axes.set_axis_off()
        if index >= len(images):
            continue
        axes.imshow(as_picture(images[index]), interpolation="none", cmap=cmap, vmin=0, vmax=1)
        if titles is not None:
            axes.set_title(titles[index], fontsize=10)
    return figure


def save_scatter(points: torch.Tensor, means: torch.Tensor, path, title: str | None = None) -> Path:
    return _save(scatter_figure(points, means, title), path)


def save_tradeoff(rows: dict[str, dict], path) -> Path:
    """The sampling-time cures' trade-off, one point per row of ``evaluate.py``: precision against recall, and the
    confident (or high-quality) share against modes and KL."""
    figure = Figure(figsize=(16, 5), layout="constrained")
    pr, modes, kl = figure.subplots(1, 3)
    quality = "high_quality" if any("high_quality" in m for m in rows.values()) else "confident"
    for name, m in rows.items():
        marker = "*" if name.startswith("real") else ("s" if "DRS" in name else "o")
        pr.scatter(m["recall"], m["precision"], marker=marker, s=60, label=name)
        modes.scatter(m["modes"], 100 * m[quality], marker=marker, s=60)
        kl.scatter(m["kl"], 100 * m[quality], marker=marker, s=60)
    pr.set(xlabel="recall (diversity)", ylabel="precision (fidelity)", xlim=(0, 1.02), ylim=(0, 1.02))
    shown = quality.replace("_", " ")
    modes.set(xlabel=f"modes (of {next(iter(rows.values()))['possible_modes']})", ylabel=f"{shown} %")
    kl.set(xlabel="KL against uniform (0: every mode equally)", ylabel=f"{shown} %")
    for axes in (pr, modes, kl):
        axes.grid(True)
    figure.legend(loc="outside lower center", ncols=3, fontsize=8)
    return _save(figure, path)
