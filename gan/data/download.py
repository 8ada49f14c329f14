"""Fetch the four official IDX files of MNIST or Fashion-MNIST from a list of mirrors, verify them, write the CSVs.

A mirror is an ``http(s)://`` or ``file://`` URL, or a plain directory path. The MD5 is checked on the
*uncompressed* bytes (the published values), so a mirror that re-gzips the files still verifies.
"""

import gzip
import hashlib
import os
import struct
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gan.errors import ConfigError, GanError
from gan.file_safety import atomic_path

# name -> MD5 of the uncompressed bytes, as published with the dataset
MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte.gz": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte.gz": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte.gz": "27ae3e4e09519cfbb04c329615203637",
}
DEFAULT_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
MIRROR_ENV = "MNIST_MIRROR"
TIMEOUT_S = 30


@dataclass(frozen=True)
class IdxDataset:
    """A dataset published as four IDX files: what the download code needs to know of it."""

    name: str  # for messages: "MNIST"
    files: dict  # file name -> MD5 of its uncompressed bytes
    mirror_env: str  # an environment variable naming a mirror to try first
    mirrors: tuple  # the public mirrors, tried in order
    example_mirror: str  # a local copy to name in the error message


MNIST = IdxDataset("MNIST", MNIST_FILES, MIRROR_ENV, DEFAULT_MIRRORS, "../shared/mnist")
FASHION_MNIST = IdxDataset(
    "Fashion-MNIST",
    {  # the uncompressed MD5s of Zalando's release (github.com/zalandoresearch/fashion-mnist)
        "train-images-idx3-ubyte.gz": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
        "train-labels-idx1-ubyte.gz": "9018921c3c673c538a1fc5bad174d6f9",
        "t10k-images-idx3-ubyte.gz": "8181f5470baa50b63fa0f6fddb340f0a",
        "t10k-labels-idx1-ubyte.gz": "15d484375f8d13e6eb1aabb0c3f46965",
    },
    "FASHION_MNIST_MIRROR",
    (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
    "../shared/fashion-mnist",
)
DATASETS = {"mnist": MNIST, "fashion_mnist": FASHION_MNIST}  # data.download -> the files it names


class DownloadError(GanError, RuntimeError):
    """Every mirror failed for one file; the message lists each mirror and why."""


def mirror_list(mirrors=DEFAULT_MIRRORS, env: str = MIRROR_ENV) -> list[str]:
    """The configured mirrors, with ``$MNIST_MIRROR`` (or the dataset's own variable, if set) tried first."""
    mirrors = [str(m) for m in mirrors]
    first = os.environ.get(env)
    return [first, *(m for m in mirrors if m != first)] if first else mirrors


def _read(mirror: str, name: str) -> bytes:
    if "://" not in mirror:  # a plain directory path
        return (Path(mirror).expanduser() / name).read_bytes()
    url = mirror.rstrip("/") + "/" + name
    with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
        return response.read()


def fetch(name: str, mirrors, log=print, dataset: IdxDataset | None = None) -> bytes:
    """The uncompressed, MD5-verified bytes of ``name`` from the first mirror that serves them."""
    dataset = dataset or MNIST
    expected, label = dataset.files[name], dataset.name
    failures = []
    for mirror in mirrors:
        try:
            data = gzip.decompress(_read(mirror, name))
        except (OSError, EOFError, ValueError) as error:  # URLError, HTTPError, timeouts, bad gzip
            failures.append(f"  {mirror}: {type(error).__name__}: {error}")
            log(f"{label}: {name} from {mirror} failed ({type(error).__name__}: {error}); trying the next mirror")
            continue
        digest = hashlib.md5(data).hexdigest()
        if digest == expected:
            return data
        failures.append(f"  {mirror}: MD5 {digest} of the uncompressed bytes, expected {expected}")
        log(f"{label}: {name} from {mirror} is corrupted (MD5 mismatch); trying the next mirror")
    tried = "\n".join(failures) or "  (no mirrors configured)"
    raise DownloadError(
        f"could not download {name}; mirrors tried:\n{tried}\n"
        f"Set {dataset.mirror_env} to a directory or URL holding the four {label} .gz files "
        f"(e.g. {dataset.mirror_env}={dataset.example_mirror}), "
        "or place the training and test CSVs in the data folder by hand."
    )


def parse_idx(data: bytes, name: str) -> np.ndarray:
    """An IDX1 (labels) or IDX3 (images, flattened to 784 columns) file as a uint8 array."""
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08 or ndim not in (1, 3):
        raise ConfigError(f"{name}: not an IDX file of unsigned bytes (header {data[:4].hex()})")
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    array = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if array.size != np.prod(shape):
        raise ConfigError(f"{name}: {array.size} bytes of data for shape {shape}")
    return array.reshape(shape[0], -1) if ndim == 3 else array


def write_csv(path: Path, labels: np.ndarray, images: np.ndarray) -> None:
    """Rows ``label,p0,...,p783`` with no header, the walkthrough's layout; written atomically."""
    as_text = [str(v) for v in range(256)]
    with atomic_path(path) as tmp, open(tmp, "w", newline="\n") as f:
        for label, row in zip(labels.tolist(), images.tolist(), strict=True):
            f.write(f"{label},{','.join([as_text[v] for v in row])}\n")


def download_mnist(train_csv: Path, test_csv: Path, mirrors=DEFAULT_MIRRORS, log=print, dataset=None) -> None:
    """Create the training and test CSVs (whichever are missing) from the official IDX files of ``dataset``
    (an ``IdxDataset``; MNIST by default)."""
    dataset = dataset or MNIST
    mirrors = mirror_list(mirrors, dataset.mirror_env)
    for csv_path, prefix in ((Path(train_csv), "train"), (Path(test_csv), "t10k")):
        if csv_path.exists():
            continue
        log(f"{dataset.name}: writing {csv_path} from {prefix}-*-ubyte.gz (mirrors: {', '.join(mirrors)})")
        images = parse_idx(fetch(f"{prefix}-images-idx3-ubyte.gz", mirrors, log, dataset), "images")
        labels = parse_idx(fetch(f"{prefix}-labels-idx1-ubyte.gz", mirrors, log, dataset), "labels")
        if len(images) != len(labels):
            raise ConfigError(f"{dataset.name} {prefix}: {len(images)} images but {len(labels)} labels")
        write_csv(csv_path, labels, images)
