"""gan.data.mnist: the walkthrough's dataset on tiny CSVs; then, marked slow, end-to-end on real MNIST fetched
through the project's own download code from $MNIST_MIRROR."""

import json
import re

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from gan.data.csv_files import read_csv
from gan.data.mnist import MnistDataModule, MnistDataset
from tests.conftest import run_script


def test_dataset_item_is_label_image_over_255_and_one_hot_target(tiny_csv):
    dataset = MnistDataset(tiny_csv, cache_dir=tiny_csv.parent / "cache")
    labels, pixels = read_csv(tiny_csv)
    label, image, target = dataset[3]
    assert len(dataset) == 200
    assert label == int(labels[3])
    assert image.shape == (784,) and image.dtype == torch.float32
    assert torch.equal(image, torch.FloatTensor(pixels[3].numpy().astype("float64")) / 255.0)
    assert target.shape == (10,) and target.sum() == 1 and target[label] == 1


def test_plot_image_saves_a_png(tiny_csv, tmp_path):
    path = MnistDataset(tiny_csv, cache_dir=tmp_path / "cache").plot_image(17, tmp_path / "17.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_missing_user_csv_is_an_error_not_a_download(tmp_path):
    module = MnistDataModule(data_dir=tmp_path, train_csv=tmp_path / "mine.csv", mirrors=[])
    with pytest.raises(FileNotFoundError, match="mine.csv"):
        module.prepare_data()


@pytest.mark.parametrize("key", ["batch_size", "chunk_size"])
def test_sizes_below_one_are_rejected(key):
    with pytest.raises(ValueError, match=f"data.{key}=0 is invalid: it must be an integer >= 1"):
        MnistDataModule(**{key: 0})


@pytest.mark.slow
def test_the_downloaded_csv_holds_mnist(mnist_dir):
    train = MnistDataset(mnist_dir / "mnist_train.csv", cache_dir=mnist_dir / "cache")
    assert len(train) == 60_000 and len(MnistDataset(mnist_dir / "mnist_test.csv", mnist_dir / "cache")) == 10_000
    assert torch.bincount(train.labels.long()).tolist() == [
        5923,
        6742,
        5958,
        6131,
        5842,
        5421,
        5918,
        6265,
        5851,
        5949,
    ]
    assert train.labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert train.images.mean().item() == pytest.approx(0.1306605, abs=1e-6)
    assert train.images.std().item() == pytest.approx(0.3081078, abs=1e-6)


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.parametrize(
    "overrides",
    [["model=baseline"], ["model=improved", "noise=randn", "data.batch_size=64"]],
    ids=["baseline", "improved-randn-batch64"],
)
def test_a_short_run_on_real_mnist(mnist_dir, tmp_path, overrides):
    result = run_script(
        "train.py",
        *overrides,
        f"data.data_dir={mnist_dir}",
        "max_images=4096",
        "metrics.samples=2000",
        "trainer.enable_progress_bar=false",
        cwd=tmp_path,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    run_dir = tmp_path / re.search(r"run folder: (.+)", result.stdout).group(1).strip()
    checkpoint = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=False)
    batch_size = 64 if "data.batch_size=64" in overrides else 1
    assert checkpoint["gan"]["state"]["updates"] == 4096 // batch_size
    assert (run_dir / "samples.png").stat().st_size > 0 and (run_dir / "loss_progress.png").stat().st_size > 0

    # the judge's metrics: in TensorBoard, in summary.json, and from evaluate.py on the finished run
    events = EventAccumulator(str(run_dir)).Reload()
    assert {"metrics/modes", "metrics/kl", "metrics/judge_fd", "metrics/judge_is"} <= set(events.Tags()["scalars"])
    summary = json.loads((run_dir / "summary.json").read_text())
    assert 1 <= summary["metrics"]["modes"] <= 10 and summary["metrics"]["judge_fd"] > 0
    evaluated = run_script("evaluate.py", run_dir, "--samples", "2000", "--json", cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    printed = json.loads(evaluated.stdout)
    assert printed["dataset"] == "mnist" and printed["judge"]["judge_accuracy"] > 0.98  # the table names both
    rows = list(printed["rows"].values())
    for key in ("modes", "kl", "judge_fd", "judge_is"):  # same seeds, same weights: the epoch-end numbers
        assert rows[0][key] == pytest.approx(summary["metrics"][key], rel=1e-5), key
    assert rows[1]["modes"] == 10  # the real-data reference row
