"""A classifier two-sample test (Lopez-Paz & Oquab, ICLR 2017): can a fresh classifier, trained on generated against
real images, tell them apart on images it did not train on? 50% means it cannot.

Its accuracy grows the longer its classifier trains, so the test fixes its own budget (``TwoSampleTest``: how many
images of each side, the network, the epochs) and reports its floor beside it: the same test on two disjoint halves
of the real training images, which differ only by chance. A generator is indistinguishable at this budget when its
accuracy is within a few points of the floor. The test only scores: it never selects or steers the samples.
"""

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from gan.evaluation.judge import TRAINING_THREADS  # as the judge: another count sums in another order
from gan.file_safety import atomic_path


def _classifier(channels: int) -> nn.Module:
    """images [N, channels * 784] -> the logit that an image is generated [N]: the judge's shape, made smaller."""
    return nn.Sequential(
        nn.Unflatten(1, (channels, 28, 28)),
        nn.Conv2d(channels, 16, 3, padding=1),  # [N, 16, 28, 28]
        nn.LeakyReLU(0.2),
        nn.MaxPool2d(2),  # [N, 16, 14, 14]
        nn.Conv2d(16, 32, 3, padding=1),  # [N, 32, 14, 14]
        nn.LeakyReLU(0.2),
        nn.MaxPool2d(2),  # [N, 32, 7, 7]
        nn.Flatten(),
        nn.Linear(32 * 7 * 7, 64),
        nn.LeakyReLU(0.2),
        nn.Linear(64, 1),
        nn.Flatten(0),
    )


@dataclass(frozen=True)
class TwoSampleTest:
    """The test's budget: ``images`` of each side (a quarter held out for scoring), ``epochs`` of Adam at ``lr`` in
    batches of ``batch_size``, all from ``seed``. On MNIST the default reads 52.7% on two halves of the training
    images, 90.1% on images rounded to 4 gray levels against real ones and 100% on uniform noise
    (``scripts/calibrate_two_sample.py``); batch 128 found the gray levels at about 80% only."""

    images: int = 6000
    epochs: int = 3
    batch_size: int = 16
    lr: float = 1e-3
    seed: int = 0

    def accuracy(self, generated: torch.Tensor, real: torch.Tensor) -> float:
        """Held-out accuracy of a fresh classifier trained to tell ``generated`` [N, D] from ``real`` [N, D]."""
        count = min(self.images, len(generated), len(real))
        if count < 8:
            raise ValueError(f"a two-sample test needs at least 8 images of each side, not {count}")
        generator = torch.Generator().manual_seed(self.seed)
        images = torch.cat([generated[:count], real[:count]]).float()
        labels = torch.cat([torch.ones(count), torch.zeros(count)])
        order = torch.randperm(2 * count, generator=generator)
        images, labels = images[order], labels[order]
        held = (2 * count) // 4
        train_x, train_y, test_x, test_y = images[held:], labels[held:], images[:held], labels[:held]
        threads = torch.get_num_threads()
        torch.set_num_threads(TRAINING_THREADS)  # one count for every caller: the same classifier from every command
        try:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(self.seed)
                network = _classifier(images.shape[1] // 784)
                optimizer = torch.optim.Adam(network.parameters(), lr=self.lr)
                for _ in range(self.epochs):
                    for batch in torch.randperm(len(train_x), generator=generator).split(self.batch_size):
                        logits = network(train_x[batch])
                        loss = nn.functional.binary_cross_entropy_with_logits(logits, train_y[batch])
                        optimizer.zero_grad()
                        loss.backward()
                        optimizer.step()
                with torch.no_grad():
                    predicted = torch.cat([network(x) > 0 for x in test_x.split(1000)]).float()
        finally:
            torch.set_num_threads(threads)
        return (predicted == test_y).float().mean().item()

    def floor(self, real: torch.Tensor, cache: Path | None = None) -> float:
        """The test on two disjoint halves of ``real`` (the training images): what chance alone reads at this
        budget. Cached in ``cache`` (a JSON file, written whole) for this budget, as the judge is."""
        key = json.dumps(asdict(self), sort_keys=True)
        if cache is not None and cache.is_file():
            try:
                saved = json.loads(cache.read_text())
                if saved.get("budget") == key:
                    return float(saved["floor"])
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                pass  # damaged: measured again
        half = min(self.images, len(real) // 2)
        value = self.accuracy(real[:half], real[half : 2 * half])
        if cache is not None:
            with atomic_path(cache) as tmp:
                tmp.write_text(json.dumps({"budget": key, "floor": value}))
        return value


def two_sample_metrics(generated: torch.Tensor, real: torch.Tensor, cache: Path | None,
                       test: TwoSampleTest = TwoSampleTest()) -> dict[str, float]:  # fmt: skip
    """``two_sample``: the test's accuracy on ``generated`` against the second half of ``real``'s first 2N images;
    ``two_sample_floor``: the same on the two halves (cached in ``cache``)."""
    half = min(test.images, len(real) // 2)
    return {
        "two_sample": test.accuracy(generated, real[half : 2 * half]),
        "two_sample_floor": test.floor(real, cache),
    }


def calibration(real: torch.Tensor, test: TwoSampleTest = TwoSampleTest()) -> dict[str, float]:
    """What the test reads at its budget on known pairs, all from ``real`` (training images in [0, 1]): two disjoint
    halves (its floor), images rounded to 4 gray levels against real ones, uniform noise against real ones."""
    n = test.images
    first, second, third = real[:n], real[n : 2 * n], real[2 * n : 3 * n]
    noise = torch.rand(n, real.shape[1], generator=torch.Generator().manual_seed(test.seed))
    return {
        "two halves of the real images (the floor)": test.accuracy(first, second),
        "real images rounded to 4 gray levels": test.accuracy((third * 3).round() / 3, second),
        "uniform noise": test.accuracy(noise, second),
    }
