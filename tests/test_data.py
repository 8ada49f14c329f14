import pytest
import torch

from gan.data import csv_files
from gan.data.csv_files import CsvFormatError, load_csv, read_csv
from gan.data.mnist import MnistDataModule, MnistDataset
from gan.data.updates import UpdateLoader
from tests.conftest import synthetic, write_csv


def test_read_csv_returns_labels_and_pixels_as_written(tmp_path):
    labels, pixels = synthetic(5)
    got_labels, got_pixels = read_csv(write_csv(tmp_path / "a.csv", labels, pixels))
    assert got_labels.tolist() == labels.tolist()
    assert torch.equal(got_pixels, torch.tensor(pixels, dtype=torch.uint8))


def test_a_header_row_is_skipped_not_read_as_data(tmp_path):
    labels, pixels = synthetic(4)
    plain = read_csv(write_csv(tmp_path / "plain.csv", labels, pixels))
    headed = read_csv(write_csv(tmp_path / "headed.csv", labels, pixels, header=True))
    assert torch.equal(plain[0], headed[0]) and torch.equal(plain[1], headed[1])


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


def test_the_csv_is_parsed_once_then_loaded_from_the_cache(tiny_csv, tmp_path, monkeypatch):
    first = load_csv(tiny_csv, tmp_path / "cache")
    monkeypatch.setattr(csv_files, "read_csv", lambda path: pytest.fail("parsed the CSV again"))
    second = load_csv(tiny_csv, tmp_path / "cache")
    assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))


def test_a_changed_csv_is_parsed_again(tmp_path):
    path = write_csv(tmp_path / "a.csv", *synthetic(3))
    load_csv(path, tmp_path / "cache")
    labels, pixels = synthetic(6, seed=1)
    write_csv(path, labels, pixels)
    assert load_csv(path, tmp_path / "cache")[0].tolist() == labels.tolist()


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("3," + ",".join(["0"] * 783), "784 columns, expected 785"),
        ("12," + ",".join(["0"] * 784), "label 12 is outside 0..9"),
        ("3," + ",".join(["0"] * 783) + ",256", "pixel 256 is outside 0..255"),
        ("3," + ",".join(["0"] * 783) + ",x", "'x' is not an integer"),
    ],
)
def test_a_bad_row_is_reported_with_file_and_line(tmp_path, line, problem):
    path = write_csv(tmp_path / "bad.csv", *synthetic(3))
    with open(path, "a") as f:
        f.write(line + "\n")
    with pytest.raises(CsvFormatError, match=problem) as error:
        read_csv(path)
    assert error.value.line == 4 and str(path) in str(error.value)


def test_missing_and_empty_files_say_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such CSV file"):
        read_csv(tmp_path / "nope.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(CsvFormatError, match="empty"):
        read_csv(tmp_path / "empty.csv")


def test_batch_size_1_chunks_hold_unbatched_images_in_file_order():
    images, labels = torch.rand(10, 784), torch.arange(10)
    chunks = list(UpdateLoader(images, labels, batch_size=1, chunk_size=4, shuffle=False, seed=0))
    assert len(chunks) == 3 and [len(c) for c in chunks] == [4, 4, 2]
    assert chunks[0][0][0].shape == (784,)
    assert [int(label) for chunk in chunks for _, label in chunk] == list(range(10))


def test_larger_batches_come_one_update_per_item_as_lightning_batches():
    images, labels = torch.rand(10, 784), torch.arange(10)
    loader = UpdateLoader(images, labels, batch_size=3, chunk_size=None, shuffle=False, seed=0)
    batches = list(loader)
    assert len(loader) == len(batches) == 4  # 3 + 3 + 3 + the epoch's short last update of 1
    assert [tuple(x.shape) for x, _ in batches] == [(3, 784)] * 3 + [(1, 784)]
    assert torch.equal(torch.cat([y for _, y in batches]), labels)


def test_a_chunked_loader_splits_each_chunk_into_updates():
    images, labels = torch.rand(10, 784), torch.arange(10)
    loader = UpdateLoader(images, labels, batch_size=3, chunk_size=7, shuffle=False, seed=0)
    chunks = list(loader)
    assert len(loader) == len(chunks) == 2  # 6 rows per chunk: two updates of 3
    assert [tuple(x.shape) for chunk in chunks for x, _ in chunk] == [(3, 784)] * 3 + [(1, 784)]


def test_shuffling_covers_every_row_once_without_touching_the_global_rng():
    images, labels = torch.rand(50, 784), torch.arange(50)
    torch.manual_seed(0)
    expected_next = torch.rand(1)
    torch.manual_seed(0)
    batches = list(UpdateLoader(images, labels, batch_size=4, chunk_size=None, shuffle=True, seed=1))
    seen = torch.cat([label for _, label in batches])
    assert sorted(seen.tolist()) == list(range(50)) and seen.tolist() != list(range(50))
    assert torch.equal(torch.rand(1), expected_next)


def test_a_missing_user_csv_is_an_error_not_a_download(tmp_path):
    module = MnistDataModule(data_dir=tmp_path, train_csv=tmp_path / "mine.csv", mirrors=[])
    with pytest.raises(FileNotFoundError, match="mine.csv"):
        module.prepare_data()


@pytest.mark.parametrize("key", ["batch_size", "chunk_size"])
def test_sizes_below_one_are_rejected(key):
    with pytest.raises(ValueError, match=f"data.{key}=0 is invalid: it must be an integer >= 1"):
        MnistDataModule(**{key: 0})
