"""The walkthrough's pictures: loss progress and sample grids, saved as PNG (atomically)."""

from pathlib import Path

import torch
from matplotlib.figure import Figure

from gan.data import PIXELS
from gan.files import atomic_path
from gan.stacked import as_picture, as_rgb


def _save(figure: Figure, path) -> Path:
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", bbox_inches="tight")
    return Path(path)


def tile(images: torch.Tensor, rows: int, cols: int) -> torch.Tensor:
    """images [rows * cols, channels * 784] -> one [channels, rows * 28, cols * 28] picture, row-major
    (TensorBoard's CHW; 2 or 3 channels show in colour, as 3)."""
    channels = images.shape[-1] // PIXELS
    pictures = images.reshape(rows, cols, channels, 28, 28).permute(2, 0, 3, 1, 4)
    return as_rgb(pictures.reshape(channels, rows * 28, cols * 28))


def save_loss_curves(progress: dict[str, list[tuple[int, float]]], equilibrium: float | None, path) -> Path:
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
    return _save(figure, path)


def save_sample_grid(images: torch.Tensor, rows: int, cols: int, path, cmap="Blues", titles=None) -> Path:
    """images [rows * cols, channels * 784] as the walkthrough's subplot grid (2x3, Blues); a 1 x N grid is a
    strip. Stacked images (3 channels) show in colour, whatever ``cmap``."""
    figure = Figure(figsize=(2.6 * cols, 2.6 * rows + (0.3 if titles else 0)), layout="constrained")
    for index, axes in enumerate(figure.subplots(rows, cols, squeeze=False).flat):
        axes.imshow(as_picture(images[index]), interpolation="none", cmap=cmap, vmin=0, vmax=1)
        axes.set_axis_off()
        if titles is not None:
            axes.set_title(titles[index], fontsize=10)
    return _save(figure, path)
