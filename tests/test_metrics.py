import math

import pytest
import torch

from gan.evaluation.judge import Judge, load_judge
from gan.evaluation.metrics import LN_10, JudgeMetrics


def untrained_metrics():
    torch.manual_seed(0)
    return JudgeMetrics(Judge(), torch.rand(50, 784))


def test_a_single_repeated_image_is_one_mode_with_kl_ln10():
    values = untrained_metrics()(torch.rand(1, 784).repeat(200, 1))
    assert values["modes"] == 1
    assert values["kl"] == pytest.approx(LN_10, abs=1e-9)
    assert values["judge_is"] == pytest.approx(1.0, abs=1e-5)  # one class with certainty: the minimum


def test_measuring_leaves_the_global_rng_untouched():
    metrics = untrained_metrics()
    torch.manual_seed(1)
    expected = torch.rand(3)
    torch.manual_seed(1)
    metrics(torch.rand(100, 784, generator=torch.Generator().manual_seed(2)))
    assert torch.equal(torch.rand(3), expected)


class LogitsJudge(torch.nn.Module):
    """A judge whose logits are an image's first 10 pixels: samples with chosen readings."""

    def __init__(self):
        super().__init__()
        self.body, self.head = torch.nn.Module(), torch.nn.Identity()
        self.body.num_features = 10
        self.body.forward = lambda images: images[:, :10]


def test_the_samples_the_judge_cannot_read_are_counted_by_the_two_classes_they_fall_between():
    def images(count, logits):
        row = torch.zeros(784)
        for digit, logit in logits.items():
            row[digit] = logit
        return row.repeat(count, 1)

    torch.manual_seed(0)
    metrics = JudgeMetrics(LogitsJudge(), torch.randn(50, 784))
    samples = torch.cat([images(40, {0: 10.0}), images(12, {9: 3.0, 4: 3.0}), images(8, {3: 3.0, 5: 2.9})])
    values = metrics(samples + 0.001 * torch.randn(60, 784))
    assert values["confident"] == pytest.approx(40 / 60)
    assert values["blends"] == pytest.approx({"4 & 9": 12 / 60, "3 & 5": 8 / 60})  # the larger first, each pair sorted
    assert list(values["blends"]) == ["4 & 9", "3 & 5"]
    assert metrics(images(5, {7: 10.0}))["blends"] == {}  # every sample read confidently


@pytest.fixture(scope="session")
def judge_path(mnist_dir):
    """The judge, trained once on real MNIST through the same code train.py and train_classifier.py use."""
    from gan.evaluation.judge import ensure_judge

    _, about = ensure_judge(
        mnist_dir / "mnist_train.csv", mnist_dir / "mnist_test.csv", mnist_dir / "cache", "mnist", mnist_dir / "judges"
    )
    return about["judge"]


@pytest.fixture(scope="session")
def mnist_metrics(mnist_dir, judge_path):
    from gan.data.mnist import MnistDataset

    test = MnistDataset(mnist_dir / "mnist_test.csv", mnist_dir / "cache")
    train = MnistDataset(mnist_dir / "mnist_train.csv", mnist_dir / "cache")
    return JudgeMetrics(load_judge(judge_path)[0], test.images), test, train


@pytest.mark.e2e
@pytest.mark.slow
def test_the_judge_reaches_99_percent_on_the_test_set(judge_path):
    assert load_judge(judge_path)[1] >= 0.99


@pytest.mark.e2e
@pytest.mark.slow
def test_real_test_images_cover_10_modes_with_near_zero_kl(mnist_metrics):
    metrics, test, _ = mnist_metrics
    values = metrics(test.images)
    assert values["modes"] == 10 and values["kl"] < 0.01
    assert values["judge_fd"] == pytest.approx(0.0, abs=1e-3)  # the reference set against itself
    assert values["judge_is"] > 9


@pytest.mark.e2e
@pytest.mark.slow
def test_a_repeated_real_digit_is_one_mode(mnist_metrics):
    metrics, test, _ = mnist_metrics
    values = metrics(test.images[:1].repeat(1000, 1))
    assert values["modes"] == 1 and values["kl"] == pytest.approx(math.log(10))


@pytest.mark.e2e
@pytest.mark.slow
def test_uniform_noise_is_far_from_mnist_and_real_training_images_are_close(mnist_metrics):
    metrics, _, train = mnist_metrics
    real = metrics(train.images[:10_000])["judge_fd"]
    noise = metrics(torch.rand(10_000, 784, generator=torch.Generator().manual_seed(0)))["judge_fd"]
    assert real < 5 and noise > 100 * real


@pytest.mark.e2e
@pytest.mark.slow
def test_real_stacked_mnist_covers_about_1000_modes_with_kl_near_0(mnist_dir, judge_path):
    from gan.data.mnist import MnistDataset
    from gan.data.stacked import StackedMnistDataset

    cache = mnist_dir / "cache"
    stacked = StackedMnistDataset(mnist_dir / "mnist_train.csv", mnist_dir / "mnist_test.csv", 26_000, 3, 0, cache)
    test = MnistDataset(mnist_dir / "mnist_test.csv", cache)
    values = JudgeMetrics(load_judge(judge_path)[0], test.images, channels=3)(stacked.images)
    # 26 samples per triple on average: every triple turns up; KL is sampling noise, about 999 / (2 x 26,000)
    assert values["possible_modes"] == 1000 and values["modes"] >= 995 and values["kl"] < 0.1
    assert values["confident"] > 0.8  # the judge reads all three of a real sample's digits confidently
