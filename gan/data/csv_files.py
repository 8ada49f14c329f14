"""MNIST as the walkthrough reads it: CSV rows ``label, 784 pixels``; images are pixels / 255.

The CSV is parsed once and cached as uint8 tensors, so later runs start in well under a second.
Any CSV in this layout (28x28 images, labels 0..9, with or without a header row) works the same way.
"""

import csv
import gzip
import hashlib
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from gan.errors import ConfigError, MissingFileError, NotAFileError
from gan.file_safety import atomic_path, load_rebuildable

PIXELS = 28 * 28
COLUMNS = 1 + PIXELS
CLASSES = 10


class CsvFormatError(ConfigError):
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
        raise NotAFileError(f"{path}: is a directory, not a CSV file")
    if not path.is_file():
        raise MissingFileError(f"{path}: no such CSV file")
    return path


_UNCACHED: set[Path] = set()  # cache folders already warned about


def _parsed_shapes(cached: dict) -> bool:
    """Does a cache hold what ``read_csv`` returns: labels [N] in 0..9, uint8 pixels [N, 784]? Else it is made again."""
    labels, pixels = cached.get("labels"), cached.get("pixels")
    return (
        isinstance(labels, torch.Tensor)
        and isinstance(pixels, torch.Tensor)
        and labels.dim() == 1
        and pixels.dtype == torch.uint8
        and pixels.shape == (len(labels), PIXELS)
        and (len(labels) == 0 or (labels.min() >= 0 and labels.max() <= 9))
    )


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
    if isinstance(cached, dict) and cached.get("source") == source and _parsed_shapes(cached):
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
