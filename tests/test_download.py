import gzip
import hashlib
import struct

import numpy as np
import pytest

from gan import download
from gan.data import read_csv
from gan.download import DownloadError, download_mnist, fetch, mirror_list, parse_idx


def idx_bytes(array: np.ndarray) -> bytes:
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture
def fake_mirror(tmp_path, monkeypatch):
    """A directory mirror with tiny IDX files; the expected MD5s are patched to match them."""
    rng = np.random.default_rng(0)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    contents = {}
    for prefix, count in (("train", 5), ("t10k", 3)):
        contents[f"{prefix}-images-idx3-ubyte.gz"] = idx_bytes(rng.integers(0, 256, (count, 28, 28)))
        contents[f"{prefix}-labels-idx1-ubyte.gz"] = idx_bytes(rng.integers(0, 10, count))
    for name, raw in contents.items():
        (mirror / name).write_bytes(gzip.compress(raw))
    monkeypatch.setattr(download, "MNIST_FILES", {n: hashlib.md5(r).hexdigest() for n, r in contents.items()})
    monkeypatch.delenv(download.MIRROR_ENV, raising=False)
    return mirror, contents


def test_a_directory_mirror_gives_verified_csvs(fake_mirror, tmp_path):
    mirror, contents = fake_mirror
    download_mnist(
        tmp_path / "d" / "train.csv", tmp_path / "d" / "test.csv", [str(mirror)], log=lambda m: None
    )
    labels, pixels = read_csv(tmp_path / "d" / "train.csv")
    expected = parse_idx(contents["train-images-idx3-ubyte.gz"], "images")
    assert pixels.numpy().tolist() == expected.tolist()
    assert labels.tolist() == parse_idx(contents["train-labels-idx1-ubyte.gz"], "labels").tolist()
    assert len(read_csv(tmp_path / "d" / "test.csv")[0]) == 3
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == [
        "test.csv",
        "train.csv",
    ]  # no temp files left


def test_a_file_url_mirror_works_too(fake_mirror):
    mirror, contents = fake_mirror
    assert (
        fetch("t10k-labels-idx1-ubyte.gz", [mirror.as_uri()], log=lambda m: None)
        == contents["t10k-labels-idx1-ubyte.gz"]
    )


def test_the_environment_mirror_is_tried_first(monkeypatch):
    monkeypatch.setenv(download.MIRROR_ENV, "/local/mnist")
    assert mirror_list(["https://a/", "/local/mnist"]) == ["/local/mnist", "https://a/"]


def test_a_failing_or_corrupt_mirror_falls_through_to_the_next(fake_mirror, tmp_path):
    mirror, contents = fake_mirror
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"\0\0\x08\x01garbage"))
    said = []
    mirrors = [str(tmp_path / "missing"), str(corrupt), str(mirror)]
    assert (
        fetch("t10k-labels-idx1-ubyte.gz", mirrors, log=said.append) == contents["t10k-labels-idx1-ubyte.gz"]
    )
    assert "FileNotFoundError" in said[0] and "MD5 mismatch" in said[1]


def test_when_every_mirror_fails_the_error_lists_them_and_nothing_is_written(fake_mirror, tmp_path):
    with pytest.raises(DownloadError) as error:
        download_mnist(
            tmp_path / "d" / "train.csv",
            tmp_path / "d" / "test.csv",
            [str(tmp_path / "nowhere"), "file:///also/nowhere"],
            log=lambda m: None,
        )
    message = str(error.value)
    assert str(tmp_path / "nowhere") in message and "file:///also/nowhere" in message
    assert "MNIST_MIRROR" in message
    assert not (tmp_path / "d").exists() or not any((tmp_path / "d").iterdir())
