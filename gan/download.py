"""Fetch the four official MNIST IDX files from a list of mirrors, verify them, write the CSVs.

A mirror is an ``http(s)://`` or ``file://`` URL, or a plain directory path. The MD5 is checked on the
*uncompressed* bytes (the published values), so a mirror that re-gzips the files still verifies.
"""

import gzip
import hashlib
import os
import struct
import urllib.request
from pathlib import Path

import numpy as np

from gan.files import atomic_path

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


class DownloadError(RuntimeError):
    """Every mirror failed for one file; the message lists each mirror and why."""


def mirror_list(mirrors=DEFAULT_MIRRORS) -> list[str]:
    """The configured mirrors, with ``$MNIST_MIRROR`` (if set) tried first."""
    mirrors = [str(m) for m in mirrors]
    first = os.environ.get(MIRROR_ENV)
    return [first, *(m for m in mirrors if m != first)] if first else mirrors


def _read(mirror: str, name: str) -> bytes:
    if "://" not in mirror:  # a plain directory path
        return (Path(mirror).expanduser() / name).read_bytes()
    url = mirror.rstrip("/") + "/" + name
    with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
        return response.read()


def fetch(name: str, mirrors, log=print) -> bytes:
    """The uncompressed, MD5-verified bytes of ``name`` from the first mirror that serves them."""
    failures = []
    for mirror in mirrors:
        try:
            data = gzip.decompress(_read(mirror, name))
        except (OSError, EOFError, ValueError) as error:  # URLError, HTTPError, timeouts, bad gzip
            failures.append(f"  {mirror}: {type(error).__name__}: {error}")
            log(f"MNIST: {name} from {mirror} failed ({type(error).__name__}: {error}); trying the next mirror")
            continue
        digest = hashlib.md5(data).hexdigest()
        if digest == MNIST_FILES[name]:
            return data
        failures.append(f"  {mirror}: MD5 {digest} of the uncompressed bytes, expected {MNIST_FILES[name]}")
        log(f"MNIST: {name} from {mirror} is corrupted (MD5 mismatch); trying the next mirror")
    tried = "\n".join(failures) or "  (no mirrors configured)"
    raise DownloadError(
        f"could not download {name}; mirrors tried:\n{tried}\n"
        f"Set {MIRROR_ENV} to a directory or URL holding the four MNIST .gz files "
        f"(e.g. {MIRROR_ENV}=../shared/mnist), "
        "or place mnist_train.csv and mnist_test.csv in the data folder by hand."
    )


def parse_idx(data: bytes, name: str) -> np.ndarray:
    """An IDX1 (labels) or IDX3 (images, flattened to 784 columns) file as a uint8 array."""
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08 or ndim not in (1, 3):
        raise ValueError(f"{name}: not an IDX file of unsigned bytes (header {data[:4].hex()})")
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    array = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if array.size != np.prod(shape):
        raise ValueError(f"{name}: {array.size} bytes of data for shape {shape}")
    return array.reshape(shape[0], -1) if ndim == 3 else array


def write_csv(path: Path, labels: np.ndarray, images: np.ndarray) -> None:
    """Rows ``label,p0,...,p783`` with no header, the walkthrough's layout; written atomically."""
    as_text = [str(v) for v in range(256)]
    with atomic_path(path) as tmp, open(tmp, "w", newline="\n") as f:
        for label, row in zip(labels.tolist(), images.tolist(), strict=True):
            f.write(f"{label},{','.join([as_text[v] for v in row])}\n")


def download_mnist(train_csv: Path, test_csv: Path, mirrors=DEFAULT_MIRRORS, log=print) -> None:
    """Create the training and test CSVs (whichever are missing) from the official IDX files."""
    mirrors = mirror_list(mirrors)
    for csv_path, prefix in ((Path(train_csv), "train"), (Path(test_csv), "t10k")):
        if csv_path.exists():
            continue
        log(f"MNIST: writing {csv_path} from {prefix}-*-ubyte.gz (mirrors: {', '.join(mirrors)})")
        images = parse_idx(fetch(f"{prefix}-images-idx3-ubyte.gz", mirrors, log), "images")
        labels = parse_idx(fetch(f"{prefix}-labels-idx1-ubyte.gz", mirrors, log), "labels")
        if len(images) != len(labels):
            raise ValueError(f"MNIST {prefix}: {len(images)} images but {len(labels)} labels")
        write_csv(csv_path, labels, images)
