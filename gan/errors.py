"""The errors this project raises on purpose, all of one type: ``GanError``.

Each names the problem and the place (the config key, the file and line, the update); the scripts print it as one
line, ``error: <message>``, and exit 1 (gan/command_errors.py). Anything else is a bug and keeps its traceback.
Each kind also derives from the built-in error it is (``ConfigError`` is a ``ValueError``), so ``except ValueError``
in a caller's code still catches it.
"""


class GanError(Exception):
    """An error raised on purpose: a bad value, bad data, a missing file, a failed download, a full disk, a NaN."""


class ConfigError(GanError, ValueError):
    """A bad value: a config key, a script's argument, or the contents of a file (a CSV, a checkpoint)."""


class MissingFileError(GanError, FileNotFoundError):
    """A file or folder the command needs is not there."""


class NotAFileError(GanError, IsADirectoryError):
    """A path that should name a file names a folder."""


class FolderTakenError(GanError, FileExistsError):
    """A run folder that would take the place of an existing one."""


class DiskFullError(GanError, OSError):
    """No space left on the device for a write (nothing half-written is left behind)."""


class DivergedError(GanError, FloatingPointError):
    """A loss or D's output went NaN or infinite: training stops, the checkpoints before it stay intact."""
