"""Around every script's work: errors raised on purpose print as one line, and a command that fails removes
only what it created itself: never a folder or file that existed before it started."""

import contextlib
import os
import shutil
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from hydra.errors import InstantiationException

from gan.data.download import DownloadError
from gan.logs import log
from gan.training.run_folders import CREATED

# raised on purpose by this project (bad config values, CSVs, paths, downloads, disk space, a loss gone NaN),
# each with a message that names the problem and the place; anything else is a bug and keeps its traceback.
# Hydra wraps a constructor's ValueError (a bad config value) in an InstantiationException.
EXPECTED = (ValueError, OSError, FloatingPointError, DownloadError, InstantiationException)
TRACEBACK_ENV = "GAN_TRACEBACK"  # set to 1 to see the traceback of an expected error too


def fail(message: str, code: int = 1):
    """``error: <message>`` on stderr (and in the run's train.log, when the run's logging is set up); exit."""
    log.error(f"error: {message}")
    sys.exit(code)


@contextlib.contextmanager
def reported_errors(own: Iterable[Path] = ()) -> Iterator[None]:
    """Print an expected error as ``error: <message>`` (no traceback) and exit 1; first remove what this command
    created (``remove_created``), ``own`` naming the folders it may remove whole."""
    try:
        yield
    except EXPECTED as error:
        remove_created(own)
        if os.environ.get(TRACEBACK_ENV):
            raise
        fail(message(error))


def message(error: BaseException) -> str:
    """The error's one line; for a bad value in a constructor that Hydra instantiates, the constructor's own
    message rather than Hydra's three-line wrapper (``Error in call to target ...``)."""
    if isinstance(error, InstantiationException) and isinstance(error.__cause__, EXPECTED):
        return message(error.__cause__)
    return str(error)


def remove_created(own: Iterable[Path] = ()) -> list[Path]:
    """Remove the folders this process created (``run_folders.CREATED``), innermost first: one of ``own``
    (the run folder, its config record) whole, if training wrote nothing of a run into it (no checkpoint, no events);
    any other only when it is empty. A folder this process did not create is never touched, whatever it holds."""
    own = {Path(p).resolve() for p in own}
    removed = []
    for folder in reversed(CREATED):
        if not folder.is_dir():
            continue
        if folder.resolve() in own and not _holds_a_run(folder):
            shutil.rmtree(folder, ignore_errors=True)
        else:
            try:
                folder.rmdir()  # only if empty
            except OSError:
                continue
        removed.append(folder)
    return removed


def _holds_a_run(folder: Path) -> bool:
    return (folder / "checkpoints").exists() or any(folder.glob("events.out.tfevents.*"))
