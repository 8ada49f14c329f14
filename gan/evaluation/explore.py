"""Exploring a trained generator by integer seeds: samples, interpolation, seed arithmetic.

An integer seed names one noise vector: ``noise(latent_dim, generator=torch.Generator().manual_seed(seed))``,
drawn on the CPU, so a picture can be reproduced and shared as its seeds.
"""

import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf

from gan.data.csv_files import PIXELS
from gan.errors import ConfigError
from gan.evaluation.judge import judge_from_state, locate_judge, read_judge_state


def interpolate(z_a: torch.Tensor, z_b: torch.Tensor, steps: int = 12, spherical: bool = False) -> torch.Tensor:
    """[steps, latent_dim] from z_a to z_b, both ends included (the walkthrough's 12 steps).

    Linear by default. Spherical (slerp) keeps the norm of Gaussian noise, whose mass lies near a sphere;
    a straight line cuts through its low-probability middle.
    """
    if steps < 2:
        raise ConfigError(f"steps must be >= 2 (both ends), got {steps}")
    t = torch.linspace(0, 1, steps, dtype=z_a.dtype).unsqueeze(1)
    if not spherical:
        return (1 - t) * z_a + t * z_b
    cos = torch.dot(z_a, z_b) / (z_a.norm() * z_b.norm())
    omega = torch.arccos(cos.clamp(-1, 1))
    if omega.abs() < 1e-6:  # (anti)parallel: slerp degenerates to a line
        return (1 - t) * z_a + t * z_b
    path = (torch.sin((1 - t) * omega) * z_a + torch.sin(t * omega) * z_b) / torch.sin(omega)
    path[0], path[-1] = z_a, z_b  # exactly the ends, free of rounding
    return path


def arithmetic(z_a: torch.Tensor, z_b: torch.Tensor) -> tuple[torch.Tensor, list[str]]:
    """The walkthrough's panel: seeds A, B, A+B and A-B, with their labels."""
    return torch.stack([z_a, z_b, z_a + z_b, z_a - z_b]), ["A", "B", "A+B", "A-B"]


def judge_titles(judge, images: torch.Tensor, labels: list[str] | None = None, class_names=None) -> list[str]:
    """Each image's label (if any) with the judge's digit and confidence, e.g. ``A+B: 3 (97%)``; a stacked
    image gets a digit per channel and the least of their confidences, e.g. ``3 1 4 (88%)``."""
    channels = images.shape[-1] // PIXELS
    with torch.no_grad():
        probabilities = judge(images.reshape(-1, PIXELS)).softmax(1)
    confidence, digit = probabilities.max(1)
    names = list(class_names or map(str, range(10)))
    digits = [" ".join(names[d] for d in row) for row in digit.view(-1, channels).tolist()]
    confidence = confidence.view(-1, channels).min(1).values
    labels = labels or [""] * len(images)
    return [
        f"{label}{': ' if label else ''}{d} ({c:.0%})"
        for label, d, c in zip(labels, digits, confidence.tolist(), strict=True)
    ]


def find_judge(cfg):
    """The run's judge if one has been trained for its dataset (``metrics.judge``, else found by the training
    data's content), else None."""
    data = instantiate(cfg.data)
    explicit = OmegaConf.select(cfg, "metrics.judge", default=None)
    path = locate_judge(data.train_csv, data.data_dir / "cache", data.data_dir / "judges", data.judge_name, explicit)[0]
    state = read_judge_state(path, named=explicit is not None)  # a broken own one: moved aside, no titles
    return None if state is None else judge_from_state(state)[0]


def class_index(name_or_index: str, class_names: list[str]) -> int:
    """A class given by its name (``Bag``, any case) or its index (``8``)."""
    lowered = [name.lower() for name in class_names]
    if name_or_index.lower() in lowered:
        return lowered.index(name_or_index.lower())
    if name_or_index.isdigit() and int(name_or_index) < len(class_names):
        return int(name_or_index)
    raise ConfigError(f"{name_or_index!r} is not a class: give an index 0..9 or one of {', '.join(class_names)}")
