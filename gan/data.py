"""MNIST as the walkthrough reads it: CSV rows ``label, 784 pixels``; images are pixels / 255.

The CSV is parsed once and cached as uint8 tensors, so later runs start in well under a second.
Any CSV in this layout (28x28 images, labels 0..9, with or without a header row) works the same way.
"""

import csv
import gzip
import hashlib
import math
import warnings
from pathlib import Path

import lightning as L
import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure
from torch.utils.data import Dataset

from gan.download import DATASETS, DEFAULT_MIRRORS, download_mnist
from gan.files import atomic_path, load_rebuildable

PIXELS = 28 * 28
COLUMNS = 1 + PIXELS
CLASSES = 10


class CsvFormatError(ValueError):
    """A CSV that is not ``label, 784 pixels`` rows; the message names the file, the line and the problem."""

    def __init__(self, path, line: int | None, problem: str):
        where = f"{path}, line {line}" if line else str(path)
        super().__init__(f"{where}: {problem}")
        self.path, self.line, self.problem = Path(path), line, problem


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _open_text(path: Path):
    """The CSV's text, whether plain or gzip-compressed (``.csv.gz``); undecodable bytes become '\ufffd'."""
    if path.suffix == ".gz":
        return gzip.open(path, "rt", newline="", errors="replace")
    return open(path, newline="", errors="replace")


def _has_header(path: Path) -> bool:
    """A first line of 785 cells, none a number (``label,pixel0,...``); a bad data row is not one."""
    try:
        with _open_text(path) as f:
            first = next(csv.reader(f), [])
    except (OSError, EOFError) as error:  # e.g. a .gz that is not gzip
        raise CsvFormatError(path, None, f"cannot be read: {error}") from None
    return len(first) == COLUMNS and not any(_is_number(cell) for cell in first)


def _separator_problem(text: str) -> str | None:
    """A row of one cell that holds tabs or semicolons: the file is not comma-separated."""
    for separator, name in (("\t", "tab"), (";", "semicolon")):
        if separator in text:
            return f"1 column: the file does not look comma-separated (it has {name}s and no commas); save it as CSV"
    return None


def _first_problem(path: Path, header: bool) -> CsvFormatError:
    """Walk the file row by row to name the first bad line (the slow path, taken only on error)."""
    with _open_text(path) as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final newline ends the last row; it does not start another
    last = len(lines)
    rows = 0
    for number, text in enumerate(lines, start=1):
        text = text.removesuffix("\r")
        if number == 1 and header or not text:  # pandas skips empty lines too
            continue
        rows += 1
        row = next(csv.reader([text]))
        if len(row) == 1 and _separator_problem(text):
            return CsvFormatError(path, number, _separator_problem(text))
        if len(row) != COLUMNS:
            hint = "; a truncated last line?" if number == last and len(row) < COLUMNS else ""
            return CsvFormatError(
                path, number, f"{len(row)} columns, expected {COLUMNS} (label + {PIXELS} pixels){hint}"
            )
        for column, cell in enumerate(row, start=1):
            try:
                value = int(cell)
            except ValueError:
                hint = " (a header row is allowed only on line 1)" if not _is_number(cell) else ""
                return CsvFormatError(path, number, f"column {column}: {cell!r} is not an integer{hint}")
            if column == 1 and not 0 <= value < CLASSES:
                return CsvFormatError(path, number, f"label {value} is outside 0..{CLASSES - 1}")
            if column > 1 and not 0 <= value <= 255:
                return CsvFormatError(path, number, f"column {column}: pixel {value} is outside 0..255")
    if rows == 0:
        return CsvFormatError(path, None, "a header but no data rows" if header else "no data rows")
    return CsvFormatError(path, None, "could not be parsed as label, 784 pixels rows")


# the longest line a CSV of label + 784 pixels can hold: 785 fields of a few characters (a header's "pixel783,"
# is 9), with room for spaces and "255.0"; a longer line is refused as soon as it is read, in bounded memory
MAX_LINE_BYTES = COLUMNS * 16


def _check_lines(path: Path) -> None:
    """Walk the file's lines in bounded memory (at most ``MAX_LINE_BYTES`` at a time), refusing the first one that is
    too long to be a row, or that holds NUL bytes (a binary file), before anything parses it whole."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            number = 0
            while line := f.readline(MAX_LINE_BYTES + 1):
                number += 1
                if b"\0" in line:
                    raise CsvFormatError(path, number, "holds NUL bytes: a binary file, not a text CSV")
                if len(line) > MAX_LINE_BYTES:
                    raise CsvFormatError(
                        path,
                        number,
                        f"longer than {MAX_LINE_BYTES:,} bytes, too long for label + {PIXELS} pixels "
                        f"({COLUMNS} comma-separated integers)",
                    )
    except (OSError, EOFError) as error:  # e.g. a .gz that is not gzip
        raise CsvFormatError(path, None, f"cannot be read: {error}") from None


def read_csv(path) -> tuple[torch.Tensor, torch.Tensor]:
    """Parse ``path`` into (labels uint8 [N], pixels uint8 [N, 784]), or raise ``CsvFormatError``."""
    path = _existing_csv(path)
    if path.stat().st_size == 0:
        raise CsvFormatError(path, None, "the file is empty")
    _check_lines(path)
    header = _has_header(path)
    try:
        rows = pd.read_csv(path, header=None, skiprows=int(header), dtype=np.int64, engine="c").to_numpy()
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):  # located below
        raise _first_problem(path, header) from None
    labels, pixels = rows[:, :1], rows[:, 1:]
    out_of_range = labels.min(initial=0) < 0 or labels.max(initial=0) >= CLASSES
    out_of_range |= pixels.min(initial=0) < 0 or pixels.max(initial=0) > 255
    if rows.shape[1] != COLUMNS or out_of_range:
        raise _first_problem(path, header)
    if len(rows) == 0:
        raise CsvFormatError(path, None, "a header but no data rows")
    return torch.from_numpy(labels[:, 0].astype(np.uint8)), torch.from_numpy(pixels.astype(np.uint8))


def _existing_csv(path) -> Path:
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a directory, not a CSV file")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such CSV file")
    return path


_UNCACHED: set[Path] = set()  # cache folders already warned about


def load_csv(path, cache_dir="data/cache") -> tuple[torch.Tensor, torch.Tensor]:
    """``read_csv`` once per file version; later calls load the cached uint8 tensors.

    The cache is an optimisation: when it cannot be written (a read-only data folder, a full disk) the parsed
    CSV is used as it is, with one warning."""
    path = _existing_csv(path)
    stat = path.stat()
    source = {"path": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    key = hashlib.sha1(source["path"].encode()).hexdigest()[:10]
    cache = Path(cache_dir) / f"{path.stem}-{key}.pt"
    cached = load_rebuildable(cache, "the CSV cache") if cache.is_file() else None
    if isinstance(cached, dict) and cached.get("source") == source:
        return cached["labels"], cached["pixels"]
    labels, pixels = read_csv(path)
    try:
        with atomic_path(cache) as tmp:
            torch.save({"source": source, "labels": labels, "pixels": pixels}, tmp)
    except OSError as error:
        if cache.parent not in _UNCACHED:
            _UNCACHED.add(cache.parent)
            warnings.warn(f"cannot write the CSV cache in {cache.parent} ({error}); using the parsed CSV", stacklevel=2)
    return labels, pixels


class MnistDataset(Dataset):
    """The walkthrough's ``MnistDataset``.

    Item ``i`` is (label, image [784] in [0, 1], one-hot target [10]).
    """

    def __init__(self, csv_file, cache_dir="data/cache"):
        self.labels, self.pixels = load_csv(csv_file, cache_dir)
        self.images = self.pixels.float() / 255.0  # as the walkthrough: FloatTensor(pixels) / 255.0

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int):
        label = int(self.labels[index])
        target = torch.zeros(CLASSES)
        target[label] = 1.0
        return label, self.images[index], target

    def plot_image(self, index: int, path, class_names=None) -> Path:
        """Save image ``index`` as the walkthrough shows it: title ``label = N``, Blues colormap; with
        ``class_names`` (not the digits) the title names the class too: ``label = 8 (Bag)``."""
        figure = Figure(figsize=(4, 4))
        axes = figure.subplots()
        label = int(self.labels[index])
        named = class_names is not None and class_names[label] != str(label)
        axes.set_title(f"label = {label}" + (f" ({class_names[label]})" if named else ""))
        axes.imshow(self.pixels[index].reshape(28, 28).numpy(), interpolation="none", cmap="Blues")
        with atomic_path(path) as tmp:
            figure.savefig(tmp, format=Path(path).suffix.lstrip(".") or "png")
        return Path(path)


class UpdateChunks:
    """An epoch of GAN updates, handed out in chunks: each item is a list of (images, labels) updates.

    One Lightning ``training_step`` walks one chunk, so Lightning's per-step cost is paid once per
    chunk rather than once per update, which matters at the walkthrough's batch size of 1. At
    batch size 1 each update holds one unbatched image [784], exactly what the walkthrough feeds D.
    """

    def __init__(
        self,
        images,
        labels,
        batch_size: int,
        chunk_size: int,
        shuffle: bool,
        seed: int,
        position=None,
        rank=0,
        ranks=1,
        pack: int = 1,
    ):
        self.images, self.labels = images, labels
        self.pack = pack  # a packed D judges `pack` images at once: every update's count must divide by it
        # with several processes (DDP) each takes every ranks-th row of the epoch's order, all the same count
        self.rank, self.ranks = rank, ranks
        self.batch_size = batch_size
        self.rows = max(batch_size, chunk_size // batch_size * batch_size)
        self.shuffle, self.seed = shuffle, seed
        # () -> (epoch, updates of it already done): where an epoch's iteration starts, so that a run
        # resumed mid-epoch continues with the very next update
        self.position = position or self._count_epochs
        self._epochs = 0

    # Lightning's resumable-dataloader protocol. The place in the epoch is the module's TrainingState (gan.state),
    # saved in every checkpoint and read back through `position`; this object holds nothing else to save.
    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state_dict: dict) -> None:
        pass

    def _count_epochs(self) -> tuple[int, int]:
        self._epochs += 1
        return self._epochs - 1, 0

    def __len__(self) -> int:
        return math.ceil(len(self.images) // self.ranks / self.rows)

    def __iter__(self):
        epoch, done = self.position()
        rows = self._epoch_rows(epoch)
        count = len(self.images) if rows is None else len(rows)
        count -= count % self.batch_size % self.pack  # the epoch's last, short update: whole packs only
        for start in range(done * self.batch_size, count, self.rows):
            end = min(start + self.rows, count)
            if rows is None:  # file order in one process: slices, no copies
                yield self._updates(self.images[start:end], self.labels[start:end])
            else:
                yield self._updates(self.images[rows[start:end]], self.labels[rows[start:end]])

    def _epoch_rows(self, epoch: int) -> torch.Tensor | None:
        """This process's rows of ``epoch``, in training order; None for the file's own order in one process."""
        order = self._shuffled(epoch) if self.shuffle else None
        if self.ranks > 1:
            order = torch.arange(len(self.images)) if order is None else order
            order = order[: len(order) // self.ranks * self.ranks][self.rank :: self.ranks]
        return None if order is None else order.to(self.images.device)

    def _shuffled(self, epoch: int) -> torch.Tensor:
        # a generator of its own, seeded by (seed, epoch): the global RNG that draws the noise is untouched
        seed = int(np.random.SeedSequence([self.seed, epoch]).generate_state(1)[0])
        return torch.randperm(len(self.images), generator=torch.Generator().manual_seed(seed))

    def _updates(self, images: torch.Tensor, labels: torch.Tensor) -> list:
        """A chunk's rows as its updates: one unbatched image each at batch size 1, else batches."""
        if self.batch_size == 1:
            return list(zip(images.unbind(), labels.unbind(), strict=True))
        return list(zip(images.split(self.batch_size), labels.split(self.batch_size), strict=True))


class UpdatesDataModule(L.LightningDataModule):
    """What every dataset of this project shares: its ``train_set`` (``images``, ``labels``) handed out as GAN updates
    of ``batch_size x pack`` samples (``UpdateChunks``), starting where the run's own state says. A subclass sets
    ``batch_size``, ``chunk_size``, ``shuffle``, ``seed``, ``pack`` and fills ``train_set`` in ``setup``."""

    def train_dataloader(self) -> UpdateChunks:
        self.setup()
        # the whole set moves to the training device once (188 MB as float32 for MNIST), not batch by batch
        device = self.trainer.strategy.root_device if self.trainer is not None else torch.device("cpu")
        images = self.train_set.images.to(device)
        labels = self.train_set.labels.long().to(device)
        ranks, rank = (self.trainer.world_size, self.trainer.global_rank) if self.trainer is not None else (1, 0)
        return UpdateChunks(
            images,
            labels,
            self.images_per_update,
            self.chunk_size,
            self.shuffle,
            self.seed,
            self._position,
            rank,
            ranks,
            self.pack,
        )

    def updates_per_epoch(self, ranks: int = 1) -> int:
        """Updates in one epoch of each of ``ranks`` processes (as ``UpdateChunks`` walks it)."""
        self.setup()
        count = len(self.train_set) // ranks
        count -= count % self.images_per_update % self.pack
        return -(-count // self.images_per_update)

    @property
    def images_per_update(self) -> int:
        """Real samples one update takes in one process (the epoch's last update may take fewer)."""
        return self.batch_size * self.pack

    def _position(self) -> tuple[int, int]:
        # the module's own record of the run (gan.state), restored from the checkpoint when resuming
        epoch = self.trainer.current_epoch
        return epoch, self.trainer.lightning_module.state.position(epoch)


class MnistDataModule(UpdatesDataModule):
    """The training CSV as GAN updates.

    ``download`` names a built-in dataset (``mnist``, ``fashion_mnist``) whose official files make its two
    CSVs (``data_dir/<download>_train.csv`` and ``_test.csv``) when they are missing; null for a user's own
    CSVs. A dataset's test set belongs to it: a run never pairs one dataset's training CSV with another's
    test CSV, because the judge would then measure samples against the wrong images.
    """

    def __init__(
        self,
        data_dir="data",
        train_csv="data/mnist_train.csv",
        test_csv="data/mnist_test.csv",
        mirrors=DEFAULT_MIRRORS,
        batch_size: int = 1,
        chunk_size: int = 2048,
        shuffle: bool = False,
        seed: int = 0,
        pack: int = 1,
        name: str | None = "mnist",
        download: str | None = "mnist",
        class_names=None,
    ):
        super().__init__()
        for key, value in (("batch_size", batch_size), ("chunk_size", chunk_size), ("pack", pack)):
            if value < 1:
                raise ValueError(f"data.{key} must be >= 1, got {value}")
        if download is not None and download not in DATASETS:
            raise ValueError(f"data.download={download} is not a built-in dataset: one of {', '.join(DATASETS)}")
        self.data_dir, self.train_csv = Path(data_dir), Path(train_csv)
        self.test_csv = None if test_csv is None else Path(test_csv)
        self.download = download
        self.name = name or self.train_csv.stem  # names the judge and the metrics tables
        self.class_names = [str(c) for c in class_names] if class_names is not None else [str(c) for c in range(10)]
        if len(self.class_names) != CLASSES:
            raise ValueError(f"data.class_names has {len(self.class_names)} names; the labels are 0..{CLASSES - 1}")
        self._check_pairing()
        self.mirrors = list(mirrors)
        self.batch_size, self.chunk_size, self.shuffle, self.seed = batch_size, chunk_size, shuffle, seed
        self.pack = pack  # PacGAN: D judges `pack` images at once, so an update takes batch_size x pack of them
        self.train_set: MnistDataset | None = None

    @property
    def source(self) -> str:
        """Where the training samples come from, for messages: the training CSV."""
        return str(self.train_csv)

    channels = 1  # of each image
    metric_samples = 10_000  # generated images the judge measures per evaluation

    @property
    def judge_name(self) -> str:
        """The name of the judge that reads this dataset's images."""
        return self.name

    def _default_csv(self, split: str) -> Path | None:
        """The built-in dataset's own CSV for ``split`` (train or test), or None for a user's CSVs."""
        return None if self.download is None else self.data_dir / f"{self.download}_{split}.csv"

    def _is_default(self, path: Path | None, split: str) -> bool:
        default = self._default_csv(split)
        return default is not None and path is not None and path.resolve() == default.resolve()

    def _check_pairing(self) -> None:
        if self.download is None:
            return
        own_train, own_test = self._is_default(self.train_csv, "train"), self._is_default(self.test_csv, "test")
        if own_train != own_test:
            dataset = DATASETS[self.download].name
            raise ValueError(
                f"data.train_csv={self.train_csv} and data.test_csv={self.test_csv}: only one of them is "
                f"{dataset}'s own CSV, so samples would be judged against another dataset's images. "
                "For your own CSVs use data=csv data.train_csv=PATH data.test_csv=PATH."
            )

    def prepare_data(self) -> None:
        self._ensure_csvs()
        self.setup()  # parse and cache once, in one process, before any training starts

    def _ensure_csvs(self) -> None:
        own = self._is_default(self.train_csv, "train")
        if own and not (self.train_csv.exists() and self.test_csv.exists()):
            dataset = DATASETS[self.download]
            mirrors = self.mirrors or list(dataset.mirrors)
            download_mnist(self._default_csv("train"), self._default_csv("test"), mirrors, dataset=dataset)
        for key, path in (("train_csv", self.train_csv), ("test_csv", self.test_csv)):
            if path is not None and not path.exists():  # a user's own CSV is never replaced by a download
                raise FileNotFoundError(f"{path}: no such CSV file (data.{key})")

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is None:
            self.train_set = MnistDataset(self.train_csv, self.data_dir / "cache")
