"""Generated samples as a picture: shown inline in a notebook, saved as a PNG with its tensors beside it."""

from io import BytesIO
from pathlib import Path

import torch
from matplotlib.figure import Figure

from gan.file_safety import atomic_path


class Samples:
    """Generated samples with the seeds that name them; shown as a picture in a notebook (``_repr_png_``).

    ``images`` [N, channels * 784] in [0, 1]; or, for a 2D mixture (``means`` given), ``points`` [N, 2] and no
    images."""

    def __init__(self, samples, seeds, rows, cols, means=None, labels=None, noise=None, digits=None):
        self.images = samples if means is None else None
        self.points = samples if means is not None else None
        self.seeds, self.rows, self.cols = seeds, rows, cols
        self.means, self.labels = means, labels  # a 2D mixture's mode centres; the pictures' titles
        self.noise, self.digits = noise, digits  # the vectors G was given (after truncation); a conditional G's digits

    def figure(self) -> Figure:
        from gan.data.pictures import scatter_figure
        from gan.evaluation.plots import sample_grid_figure

        if self.means is not None:
            return scatter_figure(self.points, self.means, f"{len(self):,} samples")
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
        return len(self.images if self.points is None else self.points)
