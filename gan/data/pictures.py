"""How data looks as a picture: a flat image [channels * 784] (one channel in the Blues colormap, several in
colour), a tile of them, and 2D points over a mixture's means. Shared by the datasets' ``plot_image``, the model's
TensorBoard panels and every picture of gan/evaluation/."""

from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure

from gan.data.csv_files import PIXELS
from gan.file_safety import atomic_path

MAX_CHANNELS = 3  # a picture shows at most three colour channels (red, green, blue)


def as_rgb(picture: torch.Tensor) -> torch.Tensor:
    """[channels, H, W] with 2 channels -> 3 (red, green, and an empty blue); 1 or 3 channels as they are."""
    if picture.shape[0] != 2:
        return picture
    return torch.cat([picture, torch.zeros_like(picture[:1])])


def as_picture(image: torch.Tensor):
    """A flat image [channels * 784] as an array to show: [28, 28] for one channel, else [28, 28, 3]
    (red, green and blue; 2 channels show as red and green)."""
    channels = image.numel() // PIXELS
    picture = image.detach().reshape(channels, 28, 28).cpu()
    return picture[0].numpy() if channels == 1 else as_rgb(picture).permute(1, 2, 0).numpy()


def save_image(image: torch.Tensor, title: str, path) -> Path:
    """One flat image [channels * 784] as the walkthrough's ``plot_image`` shows it: titled, one channel in the
    Blues colormap, several in colour; saved in the format of ``path``'s suffix (PNG if none)."""
    figure = Figure(figsize=(4, 4))
    axes = figure.subplots()
    axes.set_title(title)
    picture = as_picture(image)
    axes.imshow(picture, interpolation="none", cmap="Blues" if picture.ndim == 2 else None)
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format=Path(path).suffix.lstrip(".") or "png")
    return Path(path)


def tile(images: torch.Tensor, rows: int, cols: int) -> torch.Tensor:
    """images [rows * cols, channels * 784] -> one [channels, rows * 28, cols * 28] picture, row-major
    (TensorBoard's CHW; 2 or 3 channels show in colour, as 3)."""
    channels = images.shape[-1] // PIXELS
    pictures = images.reshape(rows, cols, channels, 28, 28).permute(2, 0, 3, 1, 4)
    return as_rgb(pictures.reshape(channels, rows * 28, cols * 28))


SCATTER_POINTS = 2_500  # the 2D panel's samples: the metrics' count


def scatter_figure(points: torch.Tensor, means: torch.Tensor, title: str | None = None) -> Figure:
    """Samples of a 2D mixture [N, 2] over the mixture's means (red crosses), on axes that fit the means."""
    figure = Figure(figsize=(5, 5), layout="constrained")
    axes = figure.subplots()
    points, means = points.detach().cpu().float(), means.cpu().float()
    span = means.abs().max().item() * 1.5 + 0.5
    axes.scatter(points[:, 0], points[:, 1], s=2, alpha=0.4, color="tab:blue", label="samples")
    axes.scatter(means[:, 0], means[:, 1], s=40, marker="x", color="tab:red", label="mode centres")
    axes.set(xlim=(-span, span), ylim=(-span, span), aspect="equal")
    axes.legend(loc="upper right", fontsize=8)
    if title:
        axes.set_title(title, fontsize=10)
    return figure


def scatter_picture(points: torch.Tensor, means: torch.Tensor) -> torch.Tensor:
    """The scatter as a [3, H, W] picture in [0, 1], for TensorBoard."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(scatter_figure(points, means))
    canvas.draw()
    return torch.from_numpy(np.asarray(canvas.buffer_rgba())[..., :3].copy()).permute(2, 0, 1).float() / 255
