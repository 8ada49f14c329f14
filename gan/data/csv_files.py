"""MNIST as the walkthrough reads it: CSV rows ``label, 784 pixels``; images are pixels / 255.

The CSV is parsed once and cached as uint8 tensors, so later runs start in well under a second.
Any CSV in this layout (28x28 images, labels 0..9, with or without a header row) works the same way.
"""

import contextlib
import csv
import gzip
import hashlib
import re
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


INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)


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


def _first_problem(path: Path, header: bool, last: int) -> CsvFormatError:
    """Walk the file line by line to name the first bad one (the slow path, taken only on error); ``last`` is the
    number of the file's last line, so that a short last line can be named as such."""
    rows = 0
    with _open_text(path) as f:
        for number, text in enumerate(f, start=1):  # line by line: bounded memory, as the parse
            problem = _line_problem(path, number, text.rstrip("\n").removesuffix("\r"), header, last)
            if problem is False:
                continue
            rows += 1
            if problem is not None:
                return problem
    if rows == 0:
        return CsvFormatError(path, None, "a header but no data rows" if header else "no data rows")
    return CsvFormatError(path, None, "could not be parsed as label, 784 pixels rows")


def _line_problem(path: Path, number: int, text: str, header: bool, last: int):
    """The problem of one line (a ``CsvFormatError``), None for a good row, False for a line that is not a row."""
    if number == 1 and header or not text:  # pandas skips empty lines too
        return False
    row = next(csv.reader([text]))
    if len(row) == 1 and _separator_problem(text):
        return CsvFormatError(path, number, _separator_problem(text))
    if len(row) != COLUMNS:
        hint = "; a truncated last line?" if number == last and len(row) < COLUMNS else ""
        return CsvFormatError(path, number, f"{len(row)} columns, expected {COLUMNS} (label + {PIXELS} pixels){hint}")
    for column, cell in enumerate(row, start=1):
        try:
            if not INTEGER.fullmatch(cell.strip()):  # what pandas parses: int() also takes "1_0" and non-ASCII digits
                raise ValueError(cell)
            value = int(cell)
        except ValueError:
            hint = " (a header row is allowed only on line 1)" if not _is_number(cell) else ""
            return CsvFormatError(path, number, f"column {column}: {cell!r} is not an integer{hint}")
        if column == 1 and not 0 <= value < CLASSES:
            return CsvFormatError(path, number, f"label {value} is outside 0..{CLASSES - 1}")
        if column > 1 and not 0 <= value <= 255:
            return CsvFormatError(path, number, f"column {column}: pixel {value} is outside 0..255")
    return None


# the longest line a CSV of label + 784 pixels can hold: 785 fields of a few characters (a header's "pixel783,"
# is 9), with room for spaces and "255.0"; a longer line is refused as soon as it is read, in bounded memory
MAX_LINE_BYTES = COLUMNS * 16


def _check_lines(path: Path) -> tuple[int, int]:
    """Walk the file's lines in bounded memory (at most ``MAX_LINE_BYTES`` at a time), refusing the first one that is
    too long to be a row, or that holds NUL bytes (a binary file), before anything parses it whole. Returns the
    number of lines and of those that are not blank (an upper bound on the rows, known before any allocation)."""
    opener = gzip.open if path.suffix == ".gz" else open
    filled = number = 0
    try:
        with opener(path, "rb") as f:
            while line := f.readline(MAX_LINE_BYTES + 1):
                number += 1
                filled += bool(line.strip())
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
    return number, filled


CHUNK_ROWS = 10_000  # rows parsed at a time: about 16 MB of int16 beside the uint8 result


def available_memory() -> int | None:
    """Bytes of memory this process can still take, or None where it is not known: the least of Linux's MemAvailable,
    the address-space limit (``ulimit -v``, less what the process has mapped) and its cgroup's limit (a container's)."""
    import resource

    limits = []
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/meminfo") as f:
            limits += [int(line.split()[1]) * 1024 for line in f if line.startswith("MemAvailable:")]
    with contextlib.suppress(OSError, ValueError):
        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        if soft != resource.RLIM_INFINITY:
            with open("/proc/self/statm") as f:
                mapped = int(f.read().split()[0]) * resource.getpagesize()
            limits.append(max(soft - mapped, 0))
    with contextlib.suppress(OSError, ValueError):
        limit, used = (Path("/sys/fs/cgroup") / name for name in ("memory.max", "memory.current"))
        if limit.read_text().strip() != "max":
            limits.append(max(int(limit.read_text()) - int(used.read_text()), 0))
    return min(limits) if limits else None


def read_csv(path) -> tuple[torch.Tensor, torch.Tensor]:
    """Parse ``path`` into (labels uint8 [N], pixels uint8 [N, 784]), or raise ``CsvFormatError``."""
    path = _existing_csv(path)
    if path.stat().st_size == 0:
        raise CsvFormatError(path, None, "the file is empty")
    last, most_rows = _check_lines(path)
    header = _has_header(path)
    needed, free = most_rows * COLUMNS, available_memory()
    if free is not None and needed > free:
        raise CsvFormatError(
            path,
            None,
            f"{most_rows:,} rows need {needed / 2**20:,.0f} MiB as uint8, but {free / 2**20:,.0f} MiB "
            "of memory are available; split the file or free memory",
        )
    # parsed in chunks into one preallocated uint8 array: memory is the result plus one chunk, not 8x the file
    try:
        rows = np.empty((most_rows, COLUMNS), dtype=np.uint8)
    except MemoryError:
        problem = f"{most_rows:,} rows ({needed / 2**20:,.0f} MiB as uint8) do not fit in memory"
        raise CsvFormatError(path, None, problem) from None
    count = 0
    try:
        chunks = pd.read_csv(path, header=None, skiprows=int(header), dtype=np.int16, engine="c", chunksize=CHUNK_ROWS)
        for chunk in chunks:
            values = chunk.to_numpy()
            labels, pixels = values[:, :1], values[:, 1:]
            out_of_range = labels.min(initial=0) < 0 or labels.max(initial=0) >= CLASSES
            out_of_range |= pixels.min(initial=0) < 0 or pixels.max(initial=0) > 255
            if values.shape[1] != COLUMNS or out_of_range:
                raise _first_problem(path, header, last)
            rows[count : count + len(values)] = values
            count += len(values)
    except CsvFormatError:
        raise
    except (ValueError, OverflowError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        raise _first_problem(path, header, last) from None  # located there, line by line
    if count == 0:
        raise CsvFormatError(path, None, "a header but no data rows")
    rows = rows[:count]
    return torch.from_numpy(rows[:, 0].copy()), torch.from_numpy(rows[:, 1:].copy())


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
