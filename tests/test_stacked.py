"""Stacked MNIST: the dataset, the 1,000-mode metric (on inputs whose answer is known) and a short run."""

import math

import pytest
import torch

from gan.data.csv_files import load_csv
from gan.data.pictures import tile
from gan.data.stacked import StackedMnistDataset, stack_codes
from gan.evaluation.metrics import JudgeMetrics, mode_counts
from gan.evaluation.plots import save_sample_grid
from gan.training.fit import train
from tests.conftest import compose_config, synthetic, write_csv


@pytest.fixture
def tiny_pool(tmp_path):
    train_csv = write_csv(tmp_path / "train.csv", *synthetic(60, seed=1))
    test_csv = write_csv(tmp_path / "test.csv", *synthetic(40, seed=2))
    return train_csv, test_csv


def test_stacked_samples_are_pool_images_stacked_as_channels(tiny_pool, tmp_path):
    data = StackedMnistDataset(*tiny_pool, samples=500, channels=3, seed=0, cache_dir=tmp_path / "cache")
    assert data.images.shape == (500, 3 * 784) and data.digits.shape == (500, 3)
    pool = torch.cat([load_csv(path, tmp_path / "cache")[1] for path in tiny_pool])
    for index in (0, 123, 499):
        for channel in range(3):
            image = data.pixels[index, channel * 784 : (channel + 1) * 784]
            assert (pool == image).all(1).any(), "each channel is one image of the 100-image pool"
    assert torch.equal(data.labels, data.digits[:, 0] * 100 + data.digits[:, 1] * 10 + data.digits[:, 2])
    # both CSVs feed the pool: over 500 x 3 draws, every one of the 100 rows turns up
    drawn = {bytes(data.pixels[i, c * 784 : (c + 1) * 784].numpy()) for i in range(500) for c in range(3)}
    assert len(drawn) >= 95


def test_stacked_samples_repeat_for_a_seed_and_differ_between_seeds(tiny_pool, tmp_path):
    cache = tmp_path / "cache"
    a = StackedMnistDataset(*tiny_pool, samples=50, seed=3, cache_dir=cache)
    cached = sorted(cache.glob("stacked_mnist-*"))
    b = StackedMnistDataset(*tiny_pool, samples=50, seed=3, cache_dir=cache)  # from the cache
    c = StackedMnistDataset(*tiny_pool, samples=50, seed=4, cache_dir=cache)
    assert len(cached) == 1 and torch.equal(a.images, b.images) and not torch.equal(a.images, c.images)


def test_stack_codes_read_digits_as_one_number():
    assert stack_codes(torch.tensor([[3, 1, 4], [0, 0, 7], [9, 9, 9]])).tolist() == [314, 7, 999]


def test_mode_counts_of_known_distributions():
    assert mode_counts(torch.full((26_000,), 314), 1000) == {"modes_covered": 1, "kl": pytest.approx(math.log(1000))}
    ten = torch.arange(10).repeat(2600) * 37  # 10 triples, evenly
    assert mode_counts(ten, 1000) == {"modes_covered": 10, "kl": pytest.approx(math.log(100))}
    every = torch.arange(1000).repeat(26)
    assert mode_counts(every, 1000) == {"modes_covered": 1000, "kl": pytest.approx(0.0, abs=1e-12)}


class DigitByBrightness(torch.nn.Module):
    """A stand-in judge with a known answer: an image whose pixels are all d/10 (+ 0.05) is digit d."""

    def __init__(self):
        super().__init__()
        self.body = torch.nn.Flatten()
        self.body.num_features = 784
        self.head = torch.nn.Identity()

    def forward(self, images):
        return self.head(self.body(images))


class _Logits(torch.nn.Module):
    def forward(self, features):
        level = (features.mean(1) * 10).floor().clamp(0, 9).long()
        return torch.nn.functional.one_hot(level, 10).float() * 50


def _stacked(triples) -> torch.Tensor:
    """Images [N, 3 * 784] whose channels show the digits of ``triples`` [N, 3] to DigitByBrightness."""
    levels = (torch.as_tensor(triples).float() + 0.5) / 10
    return levels.repeat_interleave(784, dim=1) + 0.001 * torch.rand(len(levels), 3 * 784)


@pytest.fixture
def stacked_metrics():
    judge = DigitByBrightness()
    judge.head = _Logits()
    reference = _stacked(torch.randint(0, 10, (300, 3))).reshape(-1, 784)
    return JudgeMetrics(judge, reference, channels=3)


@pytest.mark.e2e
def test_stacked_metric_of_real_like_samples_one_sample_and_ten_triples(stacked_metrics):
    uniform = torch.randint(0, 10, (26_000, 3), generator=torch.Generator().manual_seed(0))
    values = stacked_metrics(_stacked(uniform))
    assert values["possible_modes"] == 1000 and values["modes"] >= 995 and values["kl"] < 0.05
    assert values["confident"] == 1.0

    one = stacked_metrics(_stacked([[3, 1, 4]]).repeat(2600, 1))
    assert one["modes"] == 1 and one["kl"] == pytest.approx(math.log(1000))

    ten = torch.tensor([[d, (3 * d) % 10, (7 * d) % 10] for d in range(10)]).repeat(260, 1)
    spread = stacked_metrics(_stacked(ten))
    assert spread["modes"] == 10 and spread["kl"] == pytest.approx(math.log(100))


def test_stacked_pictures_are_colour():
    images = torch.zeros(6, 3 * 784)
    images[:, :784] = 1.0  # the first channel: red
    picture = tile(images, 2, 3)
    assert picture.shape == (3, 56, 84) and picture[0].min() == 1 and picture[1:].max() == 0


def test_a_short_packed_stacked_run_trains(tiny_pool, tmp_path):
    train_csv, test_csv = tiny_pool
    cfg = compose_config(
        "data=stacked_mnist",
        f"data.train_csv={train_csv}",
        f"data.data_dir={tmp_path}",
        "data.chunk_size=32",
        "trainer.enable_progress_bar=false",
        f"data.test_csv={test_csv}",
        "data.samples=256",
        "data.batch_size=16",
        "model=dcgan",
        "model.pack=2",
        "trainer.max_epochs=1",  # model=dcgan's preset trains 10
    )
    summary = train(cfg, tmp_path / "run")
    assert summary["updates"] == 256 // 32  # 16 packs of 2 images per update
    assert (tmp_path / "run" / "samples.png").stat().st_size > 0
    save_sample_grid(torch.rand(2, 3 * 784), 1, 2, tmp_path / "grid.png")
