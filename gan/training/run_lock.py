"""One writer per run folder: an OS file lock (``RUN/.lock``), held while a run trains into the folder.

``flock`` is released by the OS when its process ends, on a crash or ``kill -9`` too, so a lock file left by a dead
process is stale and the next writer takes it over; the file holds the holder's pid, which a refused second writer
names. Only the first process of a multi-process (DDP) run takes it: the others write nothing of the run's own.
"""

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from gan.errors import FolderTakenError

LOCK_NAME = ".lock"


def _first_process() -> bool:
    return os.environ.get("LOCAL_RANK", "0") == "0" and os.environ.get("NODE_RANK", "0") == "0"


@contextlib.contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """Hold ``run_dir``'s lock for the block; ``FolderTakenError`` naming the holder's pid if another process holds
    it. The lock file is removed when the block ends."""
    if not _first_process():
        yield
        return
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise FolderTakenError(
            f"{run_dir} is being trained into by another process (pid {holder}): one writer per run. Wait for it to "
            "end (then resume= continues it), or train into a fresh folder"
        ) from None
    try:
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        path.unlink(missing_ok=True)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
