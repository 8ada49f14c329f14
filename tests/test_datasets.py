"""Datasets as a config group, each judged by its own judge: MNIST, Fashion-MNIST and a user's CSVs."""

import os
from pathlib import Path

import pytest
import torch
from hydra.errors import InstantiationException
from hydra.utils import instantiate

from gan.data.csv_files import load_csv
from gan.errors import ConfigError
from gan.evaluation.explore import class_index
from gan.evaluation.judge import content_key, default_path, ensure_judge
from gan.training.fit import train
from gan.training.from_config import judge_metrics
from tests.conftest import ROOT, compose_config, synthetic, write_csv

SHARED_FASHION = ROOT.parent / "shared" / "fashion-mnist"
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag"]


@pytest.mark.parametrize("data", ["mnist", "fashion_mnist", "csv", "stacked_mnist"])
def test_every_dataset_option_composes_and_instantiates(data, tiny_csv):
    extra = [f"data.train_csv={tiny_csv}", f"data.test_csv={tiny_csv}"] if data == "csv" else []
    module = instantiate(compose_config(f"data={data}", *extra).data)
    assert len(module.class_names) == 10 and module.name


def test_fashion_class_names_and_a_class_by_name_or_index():
    data = instantiate(compose_config("data=fashion_mnist").data)
    assert data.class_names[:9] == FASHION_CLASSES and data.class_names[9] == "Ankle boot"
    assert class_index("bag", data.class_names) == 8 and class_index("8", data.class_names) == 8
    with pytest.raises(ValueError, match="not a class"):
        class_index("Hat", data.class_names)


def test_a_train_csv_never_pairs_with_another_datasets_test_csv(tiny_csv, tmp_path):
    # the first failure of the issue: data.train_csv set, data.test_csv still MNIST's
    cfg = compose_config(f"data.train_csv={tiny_csv}", f"data.data_dir={tmp_path}")
    with pytest.raises(InstantiationException) as refused:  # Hydra wraps the constructor's own error
        instantiate(cfg.data)
    assert isinstance(refused.value.__cause__, ConfigError)
    assert "only one of them is MNIST's own CSV" in str(refused.value.__cause__)  # it also names both keys
    # a user's CSV without a test CSV trains, but is never measured: the judge needs the dataset's own test set
    cfg = compose_config("data=csv", f"data.train_csv={tiny_csv}", f"data.data_dir={tmp_path}", "metrics.enabled=true")
    with pytest.raises(ValueError, match="data.test_csv is not set"):
        judge_metrics(cfg)
    assert not (tmp_path / "judges").exists()  # refused before any work


def _tiny_dataset(folder: Path, seed: int) -> tuple[Path, Path]:
    return write_csv(folder / f"train{seed}.csv", *synthetic(300, seed)), write_csv(
        folder / f"test{seed}.csv", *synthetic(100, seed + 100)
    )


@pytest.mark.e2e
def test_two_datasets_keep_their_own_judges_in_one_data_folder(tmp_path):
    said = []
    (a_train, a_test), (b_train, b_test) = _tiny_dataset(tmp_path, 1), _tiny_dataset(tmp_path, 2)
    cache, judges = tmp_path / "cache", tmp_path / "judges"
    _, about_a = ensure_judge(a_train, a_test, cache, "a", judges, log=said.append)
    _, about_b = ensure_judge(b_train, b_test, cache, "b", judges, log=said.append)
    assert about_a["judge"] != about_b["judge"] and len(list(judges.glob("*.pt"))) == 2
    trained = len([line for line in said if "training one" in line])
    for train_csv, test_csv, name in ((a_train, a_test, "a"), (b_train, b_test, "b")):
        ensure_judge(train_csv, test_csv, cache, name, judges, log=said.append)
    assert trained == 2 and len([line for line in said if "training one" in line]) == 2  # neither retrained
    # keyed by content: the same rows under another path (and with a header row) find the same judge
    copy = write_csv(tmp_path / "elsewhere.csv", *synthetic(300, 1), header=True)
    assert ensure_judge(copy, a_test, cache, "a", judges, log=said.append)[1]["judge"] == about_a["judge"]
    # an explicit judge file of other data is refused, never overwritten
    with pytest.raises(ValueError, match="other training data"):
        ensure_judge(b_train, b_test, cache, "b", judges, path=about_a["judge"], log=said.append)


def test_a_chance_level_judge_is_flagged_everywhere(tmp_path):
    train_csv, test_csv = _tiny_dataset(tmp_path, 3)  # random pixels: nothing to learn, about 10% accuracy
    cfg = compose_config(
        "data=csv",
        f"data.train_csv={train_csv}",
        f"data.test_csv={test_csv}",
        f"data.data_dir={tmp_path}",
        "data.batch_size=10",
        "metrics.enabled=true",
        "metrics.samples=50",
        "trainer.enable_progress_bar=false",
    )
    summary = train(cfg, tmp_path / "run")
    assert summary["dataset"] == "train3" and summary["judge"]["judge_accuracy"] < 0.5
    assert summary["metrics"]["trustworthy"] == 0.0
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(tmp_path / "run"), size_guidance={"tensors": 0})
    events.Reload()
    text = events.Tensors("judge/text_summary")[0].tensor_proto.string_val[0].decode()
    assert "UNTRUSTWORTHY" in text and "train3" in text
    assert "metrics/judge_accuracy" in events.Tags()["scalars"]


def test_tiny_data_warns_of_what_will_be_missing(tmp_path, caplog):
    csv = write_csv(tmp_path / "two.csv", *synthetic(2))
    cfg = compose_config(
        "data=csv", f"data.train_csv={csv}", f"data.data_dir={tmp_path}", "trainer.enable_progress_bar=false"
    )
    train(cfg, tmp_path / "run")
    assert "no losses will be recorded" in caplog.text  # logged as a warning: console and train.log


@pytest.fixture(scope="session")
def fashion_dir(tmp_path_factory) -> Path:
    """Fashion-MNIST's CSVs, made through the project's own download code from the shared mirror."""
    mirror = os.environ.get("FASHION_MNIST_MIRROR") or str(SHARED_FASHION)
    if not (Path(mirror) / "train-images-idx3-ubyte.gz").exists() and "://" not in mirror:
        pytest.fail(f"no Fashion-MNIST mirror at {mirror}: set FASHION_MNIST_MIRROR to a folder with the IDX files")
    data_dir = tmp_path_factory.mktemp("fashion")
    data = instantiate(
        compose_config("data=fashion_mnist", f"data.data_dir={data_dir}", f"data.mirrors=[{mirror}]").data
    )
    data.prepare_data()
    return data_dir


@pytest.mark.slow
def test_fashion_idx_files_convert_with_the_right_labels(fashion_dir):
    train_labels, train_pixels = load_csv(fashion_dir / "fashion_mnist_train.csv", fashion_dir / "cache")
    test_labels, _ = load_csv(fashion_dir / "fashion_mnist_test.csv", fashion_dir / "cache")
    assert train_labels[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
    assert torch.bincount(train_labels.long()).tolist() == [6000] * 10
    assert torch.bincount(test_labels.long()).tolist() == [1000] * 10
    assert train_pixels.float().div(255).mean().item() == pytest.approx(0.2860, abs=1e-4)
    # its judge lives beside MNIST's under its own name, keyed by its content
    key = content_key(train_labels, train_pixels)
    assert default_path(fashion_dir / "judges", "fashion_mnist", key).name == f"fashion_mnist-{key}.pt"
