"""How a flat image [channels * 784] looks as a picture: one channel in the Blues colormap, several in colour.
Shared by the datasets' ``plot_image`` and by every picture of gan/evaluation/."""

from pathlib import Path

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
