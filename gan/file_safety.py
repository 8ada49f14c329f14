"""Files written whole or not at all, and read without running anything they hold.

A file in ``data/`` or a run folder is either whole or absent (``atomic_path``). Every ``.pt`` and ``.ckpt`` file is
read with ``torch.load(weights_only=True)`` (``load_tensors``): tensors and plain Python values only, so a shared or
downloaded checkpoint can never run code when it is opened.
"""

import contextlib
import errno
import logging
import os
import pickle
import shutil
import struct
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from gan.errors import ConfigError, DiskFullError

log = logging.getLogger("gan")  # gan.logs's logger; gan.logs imports this module, so not from there

# a temporary file left by a process that no longer runs is removed by the next write beside it; one from an
# older version of this code (no process id in its name) once it is this old
STALE_SECONDS = 3600
NEARLY_FULL = 16 * 2**20  # bytes free under which a failed write is taken for a full disk


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    The temporary file lives in the same folder so the final ``os.replace`` is a rename on one
    file system, which is atomic: a crash leaves the old file (or none), never half of a new one.
    Its name holds this process's id, so a later write can tell a dead process's leftover from a live one's.
    A write that fails for want of disk space says so, naming the path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}-", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; the final file gets the usual permissions
    try:
        yield tmp
        os.replace(tmp, path)
    except (OSError, RuntimeError) as error:  # torch.save reports a full disk as a RuntimeError
        if _disk_full(error, path.parent):
            free = shutil.disk_usage(path.parent).free
            raise DiskFullError(f"no space left on the device writing {path} ({free / 2**20:.1f} MiB free)") from error
        raise
    finally:
        tmp.unlink(missing_ok=True)


def _disk_full(error: BaseException, folder: Path) -> bool:
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    try:
        return shutil.disk_usage(folder).free < NEARLY_FULL
    except OSError:
        return False


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Remove the temporary files of earlier writes of ``path`` whose process is gone (e.g. killed mid-write)."""
    removed = []
    for leftover in path.parent.glob(f".{path.name}.*.tmp"):
        owner = leftover.name[len(path.name) + 2 :].split("-", 1)[0]
        try:
            if owner.isdigit():
                if _running(int(owner)):
                    continue
            elif time.time() - leftover.stat().st_mtime < STALE_SECONDS:
                continue
            leftover.unlink()
            removed.append(leftover)
        except OSError:  # gone already, or not ours to remove
            continue
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


# What the project writes or locks inside a run folder (training, generate.py, evaluate.py, export): each is checked
# for links before any of them is opened (``refuse_links``), so nothing is ever written through one
RUN_ENTRIES = (
    ".lock", "train.log", "checkpoints", "generated", "evaluation", "export-png", "export-npz", ".hydra",
    "summary.json", "status.json", "samples.png", "loss_progress.png", "progress.csv", "hparams.yaml",
)  # fmt: skip
RUN_ENTRY_PATTERNS = (".hydra-resume-*", "events.out.tfevents.*")
# the entries written in place (appended to, or truncated) rather than replaced whole: a hard link there is refused too
OPENED_IN_PLACE = (".lock", "train.log")


def refuse_links(run_dir: str | os.PathLike) -> None:
    """``UnsafeFileError`` naming the first symbolic link among what the project writes in ``run_dir`` (its files,
    and everything inside its folders), or a hard link among what it writes in place (``OPENED_IN_PLACE``): a link
    there would make a write, a rename or a removal land elsewhere.
    The run folder itself may be a link: the user named it."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        return
    entries = [run_dir / name for name in RUN_ENTRIES]
    entries += [p for pattern in RUN_ENTRY_PATTERNS for p in run_dir.glob(pattern)]
    for entry in entries:
        if entry.is_symlink():
            _link_refused(entry, run_dir)
        if entry.name in OPENED_IN_PLACE and entry.is_file() and entry.stat().st_nlink > 1:
            raise _hard_link_refused(entry, entry.stat().st_nlink)
        if entry.is_dir():
            for folder, names, files in os.walk(entry):  # links to folders are listed, never followed
                for name in (*names, *files):
                    if os.path.islink(os.path.join(folder, name)):
                        _link_refused(Path(folder) / name, run_dir)


def _link_refused(link: Path, run_dir: Path):
    raise UnsafeFileError(
        f"{link} is a symbolic link (to {os.readlink(link)}) inside the run folder {run_dir}: this project never "
        "writes through a link; remove it, or copy what it points to in its place"
    )


def open_no_follow(path: str | os.PathLike, mode: str = "a", encoding: str | None = None):
    """``open(path, mode)`` for appending or writing text, refused (``UnsafeFileError``) when ``path`` is a link,
    symbolic or hard: a hard link is another name of a user's file, which appending or truncating would change."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | (os.O_APPEND if mode.startswith("a") else 0)
    try:
        fd = os.open(path, flags, 0o666)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise UnsafeFileError(f"{path} is a symbolic link: this project never writes through a link") from None
        raise
    try:
        refuse_hard_link(fd, path)
    except UnsafeFileError:
        os.close(fd)
        raise
    if not mode.startswith("a"):
        os.ftruncate(fd, 0)  # only now: a file refused above is left as it was
    return os.fdopen(fd, mode, encoding=encoding)


def refuse_hard_link(fd: int, path: str | os.PathLike) -> None:
    """``UnsafeFileError`` when the open file ``fd`` (at ``path``) has another name too (a hard link)."""
    names = os.fstat(fd).st_nlink
    if names > 1:
        raise _hard_link_refused(path, names)


def _hard_link_refused(path, names: int) -> "UnsafeFileError":
    return UnsafeFileError(
        f"{path} is a hard link (the file has {names} names): writing it would change the file under its other "
        "names too; this project never writes through a link; remove it"
    )


# What torch.load raises on a damaged file: truncated by a crash, overwritten in part, random bytes, a text file, a
# zip that is not a checkpoint. Measured over 3,000 such files (tests/test_safety.py keeps a few hundred of them);
# anything else (a TypeError, an AttributeError) is a bug in the loading code, and keeps its traceback.
DAMAGED_FILE_ERRORS = (pickle.UnpicklingError, RuntimeError, EOFError, OSError, ValueError, LookupError, struct.error)


class UnsafeFileError(ConfigError):
    """A file that holds more than tensors and plain values: unpickling it would run code, so it is not loaded."""


def load_tensors(path: str | os.PathLike, map_location="cpu"):
    """``torch.load`` with ``weights_only=True``: tensors, numbers, strings, lists and dicts, nothing that runs code.

    A file that needs anything else (a pickled object, a function) raises ``UnsafeFileError`` and nothing of it is
    executed; a truncated or corrupt file raises torch's own error."""
    import torch  # here: gan.logs imports this module, and a script's --help must not wait for torch

    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError:
        # a pickle that names a function or class to call (GLOBAL) outside torch's safe list would run code; any other
        # refusal is damage. torch lists those globals itself, without unpickling anything
        try:
            calls = torch.serialization.get_unsafe_globals_in_checkpoint(path)
        except DAMAGED_FILE_ERRORS:  # not even an archive torch can list: damage, as torch.load said
            calls = []
        if not calls:
            raise
        raise UnsafeFileError(
            f"{path}: not loaded, because loading it would run code it carries (it names {calls[0]}); "
            "this project only loads files of tensors and plain values"
        ) from None


def load_problem(error: BaseException) -> str:
    """One line saying why a file did not load (torch's unpickling errors open with a paragraph of advice)."""
    # torch's advice to load with weights_only=False is the unsafe path: never passed on
    lines = [
        line.strip() for line in str(error).splitlines() if line.strip() and "weights_only" not in line
        and not line.strip().startswith(("Weights only load failed", "(1)", "(2)", "Re-running", "WeightsUnpickler"))
    ]  # fmt: skip
    if isinstance(error, pickle.UnpicklingError):
        detail = [line for line in lines if line.startswith(("Unsupported", "Trying"))]
        return f"not a checkpoint of tensors ({detail[0] if detail else 'an unreadable pickle'})"
    return lines[0] if lines else type(error).__name__


def load_rebuildable(path: Path, what: str):
    """The contents of a file this project can make again (a CSV cache, a judge), or None when it does not load:
    then it is moved aside to ``<path>.broken``, with one warning line, and the caller rebuilds it."""
    try:
        return load_tensors(path)
    except DAMAGED_FILE_ERRORS as error:  # damaged, or unsafe (an UnsafeFileError is a ValueError): made again
        aside = path.with_name(path.name + ".broken")
        reason = load_problem(error)
        try:
            os.replace(path, aside)
        except OSError as cannot:  # a read-only cache folder: go on without the file, leave it where it is
            log.warning(
                f"WARNING: {what} {path} does not load ({reason}) and cannot be moved aside ({cannot}); going on"
            )
            return None
        log.warning(f"WARNING: {what} {path} does not load ({reason}); moved it to {aside.name} and making it again")
        return None
