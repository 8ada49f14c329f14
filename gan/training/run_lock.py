"""One writer per run folder: an OS file lock (``RUN/.lock``), held while a command trains into the folder.

``flock`` is released by the OS when its process ends, on a crash or ``kill -9`` too, so a lock file left by a dead
process is stale and the next writer takes it over; the file holds the holder's pid, which a refused second writer
names. Only the first process of a multi-process (DDP) run takes it: the others write nothing of the run's own.

scripts/train.py takes the lock of a folder it names before Hydra writes its ``.hydra/`` record there
(``hold_run_folder``), so that of two commands started together the second changes nothing; ``run_lock`` in the
same process then finds the lock already held and leaves it to that holder.
"""

import atexit
import contextlib
import errno
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from gan.errors import FolderTakenError
from gan.file_safety import UnsafeFileError, refuse_hard_link

LOCK_NAME = ".lock"
_HELD: dict[Path, int] = {}  # run folder (resolved) -> the open lock file of this process


def _first_process() -> bool:
    return os.environ.get("LOCAL_RANK", "0") == "0" and os.environ.get("NODE_RANK", "0") == "0"


def _acquire(run_dir: Path) -> None:
    path = run_dir / LOCK_NAME
    while True:
        try:  # O_NOFOLLOW: a .lock that is a link to a user's file is refused, never truncated
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise UnsafeFileError(f"{path} is a symbolic link: this project never writes through a link") from None
            raise
        try:
            refuse_hard_link(fd, path)  # before anything is written into it
        except UnsafeFileError:
            os.close(fd)
            raise
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise FolderTakenError(
                f"{run_dir} is being trained into by another process (pid {holder}): one writer per run. Wait for it "
                "to end (then resume= continues it), or train into a fresh folder"
            ) from None
        # the holder before us removes the file before it unlocks: a lock won on a file no longer at `path` is
        # a lock on nothing, and a third process would lock the new file; try again on the file that is there
        with contextlib.suppress(FileNotFoundError):
            if os.fstat(fd).st_ino == os.stat(path).st_ino:
                break
        os.close(fd)
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    _HELD[run_dir.resolve()] = fd


def refuse_if_held(run_dir: Path) -> None:
    """``FolderTakenError`` if another process holds ``run_dir``'s lock now; nothing is created or changed."""
    path = run_dir / LOCK_NAME
    if not path.is_file() or path.is_symlink() or run_dir.resolve() in _HELD:
        return
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
        raise FolderTakenError(
            f"{run_dir} is being trained into by another process (pid {holder}): one writer per run"
        ) from None
    finally:
        os.close(fd)


def _release(run_dir: Path) -> None:
    fd = _HELD.pop(run_dir.resolve(), None)
    if fd is None:
        return
    (run_dir / LOCK_NAME).unlink(missing_ok=True)
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def hold_run_folder(run_dir: Path) -> None:
    """Take ``run_dir``'s lock (the folder must exist) until this process ends; ``FolderTakenError`` if another
    process holds it."""
    if _first_process() and run_dir.resolve() not in _HELD:
        _acquire(run_dir)
        atexit.register(_release, run_dir)


@contextlib.contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """Hold ``run_dir``'s lock for the block; ``FolderTakenError`` naming the holder's pid if another process holds
    it. The lock file is removed when the block ends (by the holder that took it first, if this process already
    held it)."""
    if not _first_process() or run_dir.resolve() in _HELD:
        yield
        return
    run_dir.mkdir(parents=True, exist_ok=True)
    _acquire(run_dir)
    try:
        yield
    finally:
        _release(run_dir)
