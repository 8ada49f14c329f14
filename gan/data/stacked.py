"""Stacked MNIST (VEEGAN, Srivastava et al. 2017; PacGAN, Lin et al. 2018): 1,000 modes instead of 10.

Each sample stacks ``channels`` (3) MNIST images, drawn independently and uniformly from the pool of all
70,000 (train and test), as the channels of one [3, 28, 28] image; its mode is the triple of digits. The
samples come from the MNIST CSVs already downloaded, drawn with a generator seeded by ``seed``; the drawn
pool rows are cached beside the CSV tensors, and the images are gathered from those tensors in memory.
"""

import hashlib
from pathlib import Path

import torch

from gan.data.csv_files import PIXELS, load_csv
from gan.data.mnist import MnistDataModule
from gan.data.pictures import MAX_CHANNELS, save_image
from gan.errors import ConfigError
from gan.file_safety import atomic_path, load_rebuildable
from gan.rules import POSITIVE_INT


def stack_codes(digits: torch.Tensor) -> torch.Tensor:
    """digits [N, channels] -> the mode of each sample, digits read as one number: (3, 1, 4) -> 314."""
    powers = 10 ** torch.arange(digits.shape[1] - 1, -1, -1, device=digits.device)
    return (digits.long() * powers).sum(1)


class StackedMnistDataset:
    """``samples`` stacked images: ``images`` float [samples, channels * 784] in [0, 1], channel after channel;
    ``labels`` the modes (0 .. 10^channels - 1) and ``digits`` [samples, channels] the digits they stack."""

    def __init__(self, train_csv, test_csv, samples=128_000, channels=3, seed=0, cache_dir="data/cache"):
        if samples < 1 or channels < 1:
            raise ConfigError(f"Stacked MNIST needs samples >= 1 and channels >= 1, got {samples} and {channels}")
        train_labels, train_pixels = load_csv(train_csv, cache_dir)
        test_labels, test_pixels = load_csv(test_csv, cache_dir)
        pool_labels, pool_pixels = torch.cat([train_labels, test_labels]), torch.cat([train_pixels, test_pixels])
        rows = self._draw(len(pool_labels), samples, channels, seed, Path(cache_dir), (train_csv, test_csv))
        self.channels = channels
        self.pixels = pool_pixels[rows].reshape(samples, channels * PIXELS)  # uint8
        self.images = self.pixels.float() / 255.0
        self.digits = pool_labels[rows].long()
        self.labels = stack_codes(self.digits)

    @staticmethod
    def _draw(pool: int, samples: int, channels: int, seed: int, cache_dir: Path, sources) -> torch.Tensor:
        """Pool rows [samples, channels], uniform and independent; cached, keyed by everything they depend on."""
        key = hashlib.sha1(repr((pool, samples, channels, seed, [str(Path(s).resolve()) for s in sources])).encode())
        cache = cache_dir / f"stacked_mnist-{channels}x{samples}-seed{seed}-{key.hexdigest()[:10]}.pt"
        rows = load_rebuildable(cache, "the Stacked MNIST cache") if cache.is_file() else None
        if (
            isinstance(rows, torch.Tensor)
            and rows.shape == (samples, channels)
            and rows.dtype == torch.int64
            and (rows.numel() == 0 or (rows.min() >= 0 and rows.max() < pool))
        ):
            return rows
        rows = torch.randint(0, pool, (samples, channels), generator=torch.Generator().manual_seed(seed))
        with atomic_path(cache) as tmp:
            torch.save(rows, tmp)
        return rows

    def __len__(self) -> int:
        return len(self.labels)

    def plot_image(self, index: int, path, class_names=None) -> Path:
        """Save sample ``index`` in colour, titled with the digits it stacks (red, green, blue)."""
        return save_image(self.images[index], "digits = " + " ".join(map(str, self.digits[index].tolist())), path)


class StackedMnistDataModule(MnistDataModule):
    """Stacked MNIST as GAN updates, built from the MNIST CSVs (downloaded into ``data_dir`` when missing)."""

    metric_samples = 26_000  # the papers count modes over 26,000 generated samples

    def __init__(self, samples: int = 128_000, channels: int = 3, **mnist):
        super().__init__(**mnist)
        for key, value in (("samples", samples), ("channels", channels)):
            POSITIVE_INT.check(f"data.{key}", value)
        if channels > MAX_CHANNELS:
            raise ConfigError(
                f"data.channels={channels} is invalid: it must be 1, 2 or 3 (10, 100 or 1,000 modes); "
                "a sample is shown as one colour picture"
            )
        self.samples, self.channels = samples, channels

    def _ensure_csvs(self) -> None:
        if self.test_csv is None:
            raise ConfigError("data.test_csv is not set: Stacked MNIST pools the training and test images")
        super()._ensure_csvs()

    @property
    def judge_name(self) -> str:
        return self.download or super().judge_name  # the judge of the MNIST CSVs it stacks

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is None:
            self.train_set = StackedMnistDataset(
                self.train_csv, self.test_csv, self.samples, self.channels, self.seed, self.data_dir / "cache"
            )
