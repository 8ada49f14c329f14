"""2D Gaussian mixtures: the benchmark every mode-collapse paper starts from (VEEGAN, Srivastava et al. 2017;
PacGAN, Lin et al. 2018), where collapse and its cures are plain to see within minutes on a CPU.

- ``ring8``: 8 means at (cos 2πk/8, sin 2πk/8), standard deviation 0.01;
- ``grid25``: means at {-4, -2, 0, 2, 4}², standard deviation 0.05.

A training set is 100,000 points drawn with its own seeded generator. Its metrics (modes captured, high-quality
samples) are gan/evaluation/mixture_metrics.py's.
"""

import math

import torch

from gan.data.updates import UpdatesDataModule
from gan.errors import ConfigError
from gan.rules import POSITIVE_INT, POSITIVE_NUMBER

METRIC_SAMPLES = 2_500  # samples per evaluation: PacGAN's and VEEGAN's count


def ring_means(modes: int = 8, radius: float = 1.0) -> torch.Tensor:
    """[modes, 2]: evenly spaced on a circle, the first at (radius, 0)."""
    angle = 2 * math.pi * torch.arange(modes, dtype=torch.float64) / modes
    return (radius * torch.stack([angle.cos(), angle.sin()], 1)).float()


def grid_means(side: int = 5, spacing: float = 2.0) -> torch.Tensor:
    """[side², 2]: a square grid centred on 0 (5 x 5 at spacing 2: {-4, -2, 0, 2, 4}²)."""
    axis = (torch.arange(side, dtype=torch.float64) - (side - 1) / 2) * spacing
    return torch.cartesian_prod(axis, axis).float()


class GaussianMixture:
    """Equal-weight isotropic Gaussians at ``means`` [K, 2], each of standard deviation ``std``."""

    def __init__(self, means: torch.Tensor, std: float):
        POSITIVE_NUMBER.check("data.std", std)
        self.means, self.std = means, std

    def sample(self, count: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(points [count, 2], their modes [count]) from a generator of their own, seeded by ``seed``."""
        generator = torch.Generator().manual_seed(seed)
        modes = torch.randint(0, len(self.means), (count,), generator=generator)
        return self.means[modes] + self.std * torch.randn(count, 2, generator=generator), modes

    def nearest(self, points: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(each point's nearest mean [N], its distance to it [N])."""
        distance, mode = torch.cdist(points.double(), self.means.double().to(points.device)).min(1)
        return mode, distance


class MixtureDataset:
    """``points`` float [N, 2] (named ``images`` as the training loop reads every dataset) and ``labels``, the mode
    each point was drawn from."""

    def __init__(self, mixture: GaussianMixture, samples: int, seed: int):
        self.images, self.labels = mixture.sample(samples, seed)

    def __len__(self) -> int:
        return len(self.labels)


class MixtureDataModule(UpdatesDataModule):
    """A 2D Gaussian mixture as GAN updates of ``batch_size`` points (``batch_size x pack`` with PacGAN)."""

    channels = 1
    metric_samples = METRIC_SAMPLES
    test_csv = None  # no judge: the modes are known exactly

    def __init__(
        self,
        means: str = "ring",  # "ring" or "grid"
        modes: int = 8,  # ring: points on the circle; grid: its side is sqrt(modes)
        spacing: float = 1.0,  # ring: the radius; grid: the distance between neighbouring means
        std: float = 0.01,
        samples: int = 100_000,
        batch_size: int = 100,
        chunk_size: int = 2000,
        shuffle: bool = True,
        seed: int = 0,  # of the training set (the run's `seed`; the metrics' real reference uses another)
        pack: int = 1,
        name: str = "ring8",
    ):
        super().__init__()
        for key, value in (
            ("batch_size", batch_size),
            ("chunk_size", chunk_size),
            ("pack", pack),
            ("samples", samples),
        ):
            POSITIVE_INT.check(f"data.{key}", value)
        if means == "ring":
            centres = ring_means(modes, spacing)
        elif means == "grid" and math.isqrt(modes) ** 2 == modes:
            centres = grid_means(math.isqrt(modes), spacing)
        else:
            raise ConfigError(f"data.means={means} with data.modes={modes}: use ring (any modes) or grid (a square)")
        self.mixture = GaussianMixture(centres, std)
        self.name, self.samples, self.seed = name, samples, seed
        self.batch_size, self.chunk_size, self.shuffle, self.pack = batch_size, chunk_size, shuffle, pack
        self.class_names = [str(k) for k in range(len(centres))]
        self.train_set: MixtureDataset | None = None

    @property
    def source(self) -> str:
        return f"{len(self.mixture.means)} Gaussians, std {self.mixture.std}, {self.samples:,} points, seed {self.seed}"

    def prepare_data(self) -> None:
        self.setup()

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is None:
            self.train_set = MixtureDataset(self.mixture, self.samples, self.seed)
