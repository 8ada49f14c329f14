"""Samples written the way the field's metric tools read them (torch-fidelity, clean-fid): a folder of PNG files, or
one .npz of uint8 images [N, H, W, C] under ``arr_0``. Pixel values are ``round(255 x)`` of the generator's [0, 1]
output; stacked samples (3 channels) are RGB, one channel is grayscale (2 channels: red and green)."""

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from gan.data.csv_files import PIXELS
from gan.data.pictures import as_rgb
from gan.errors import ConfigError
from gan.file_safety import atomic_path

FORMATS = ("png", "npz")


def as_uint8(images: torch.Tensor) -> np.ndarray:
    """images [N, channels * 784] in [0, 1] -> uint8 [N, 28, 28, C] (C = 1, or 3 for 2 or 3 channels)."""
    channels = images.shape[-1] // PIXELS
    pictures = images.detach().cpu().reshape(len(images), channels, 28, 28)
    if channels > 1:
        pictures = torch.stack([as_rgb(p) for p in pictures])
    return (pictures * 255).round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()


MARKER = ".gan-export"  # in an export folder: the files this project wrote there, one name per line


def _clear_own_export(out: Path) -> None:
    """Make ``out`` ready for an export: a new or empty folder, or one of ours (its marker lists what we wrote,
    which is removed, so an old export's images never mix into the new one). Anything else is the user's: refused."""
    if not out.exists():
        return
    if not out.is_dir():
        raise ConfigError(f"--out {out}: a file, not a folder; give a new or empty folder")
    marker = out / MARKER
    if marker.is_file():
        for name in marker.read_text().split():
            (out / Path(name).name).unlink(missing_ok=True)
        marker.unlink()
    if any(out.iterdir()):
        raise ConfigError(
            f"--out {out} holds files that are not an export of this project; give a new or empty folder "
            "(nothing was written)"
        )


def export_images(images: torch.Tensor, out, fmt: str = "png") -> Path:
    """Write ``images`` into the folder ``out``: ``000000.png``, ``000001.png``, ... or ``samples.npz``, and the
    list of them (``.gan-export``). ``out`` must be new, empty, or an earlier export of ours (which is replaced).
    Returns the folder (png) or the file (npz)."""
    if fmt not in FORMATS:
        raise ConfigError(f"--format {fmt}: one of {', '.join(FORMATS)}")
    out = Path(out)
    _clear_own_export(out)
    pixels = as_uint8(images)
    written = []
    if fmt == "npz":
        with atomic_path(out / "samples.npz") as tmp:
            with open(tmp, "wb") as f:
                np.savez(f, arr_0=pixels)
        written.append("samples.npz")
    else:
        width = max(6, len(str(len(pixels) - 1)))
        for index, picture in enumerate(pixels):
            image = Image.fromarray(picture[..., 0] if picture.shape[-1] == 1 else picture)
            with atomic_path(out / f"{index:0{width}d}.png") as tmp:
                image.save(tmp, format="PNG")
            written.append(f"{index:0{width}d}.png")
    with atomic_path(out / MARKER) as tmp:
        tmp.write_text("\n".join(written) + "\n")
    return out / "samples.npz" if fmt == "npz" else out
