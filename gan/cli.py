"""Around every script's work: errors raised on purpose print as one line, and a command that fails leaves
no folder of its own behind."""

import contextlib
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

from hydra.errors import InstantiationException

from gan.download import DownloadError
from gan.logs import log

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
def reported_errors(made: Path | None = None) -> Iterator[None]:
    """Print an expected error as ``error: <message>`` (no traceback) and exit 1; first remove ``made``, the
    folder this command created, if nothing of a run was written into it (no checkpoints, no events)."""
    try:
        yield
    except EXPECTED as error:
        if made is not None:
            remove_if_unused(made)
        if os.environ.get(TRACEBACK_ENV):
            raise
        fail(str(error))


def remove_if_unused(folder: Path) -> bool:
    """Remove ``folder`` (and its parents up to and including lightning_logs/, when they become empty) if it
    holds no checkpoint and no TensorBoard events: only Hydra's config record and an empty or short log."""
    folder = Path(folder)
    if not folder.is_dir() or (folder / "checkpoints").exists() or any(folder.glob("events.out.tfevents.*")):
        return False
    shutil.rmtree(folder, ignore_errors=True)
    for parent in folder.parents:
        if not parent.is_dir() or any(parent.iterdir()) or parent.resolve() == Path.cwd():
            break
        parent.rmdir()
        if parent.name == "lightning_logs":
            break
    return True
