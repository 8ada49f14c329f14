"""Around every script's work: errors raised on purpose print as one line, and a command that fails removes
only what it created itself: never a folder or file that existed before it started."""

import contextlib
import os
import shutil
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from hydra.errors import InstantiationException

from gan.errors import GanError
from gan.logs import keep_run_log, log
from gan.training.run_folders import CREATED


# Printed as one line: the errors this project raises on purpose (gan.errors.GanError: bad config values, CSVs,
# paths, downloads, disk space, a loss gone NaN), and the operating system's own report on a file it names
# (permission denied, a read-only file system): both name the problem and the place, and neither is a bug here.
# Anything else is a bug and keeps its traceback.
def expected(error: BaseException) -> bool:
    """Is ``error`` one to print as one line (above), also when Hydra wraps it (``Error in call to target``)?"""
    if isinstance(error, InstantiationException):  # Hydra's own refusal (a blocked or unknown target) too
        cause = error.__cause__
        return cause is None or isinstance(cause, ImportError | AttributeError) or expected(cause)
    return isinstance(error, GanError) or (isinstance(error, OSError) and error.filename is not None)


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
    except Exception as error:  # every error passes here to be sorted: nothing is swallowed, a bug is re-raised
        if not expected(error):  # a bug: its traceback is kept in the run's train.log too
            keep_run_log()
            raise
        remove_created(own)
        if os.environ.get(TRACEBACK_ENV):
            raise
        fail(message(error))


def message(error: BaseException) -> str:
    """The error's one line; for a bad value in a constructor that Hydra instantiates, the constructor's own
    message rather than Hydra's three-line wrapper (``Error in call to target ...``)."""
    if isinstance(error, InstantiationException):
        cause = error.__cause__
        if cause is not None and not isinstance(cause, ImportError | AttributeError):
            return message(cause)
        first = str(error).splitlines()[0].replace(", set env var HYDRA_FULL_ERROR=1 to see chained exception", "")
        # Hydra's first line ends in ":" and its reason is the cause's: an import the target needs and lacks
        reason = str(cause).strip().splitlines()[-1] if cause is not None and str(cause).strip() else ""
        return f"{first} {reason}" if reason and reason not in first else first
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
