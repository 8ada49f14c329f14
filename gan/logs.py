"""The run's log: one line per fact a person wants (the run's set-up, each epoch's metrics, the end), on the
console and in the run folder's train.log (conf/train.yaml's hydra.job_logging routes both)."""

import logging

from gan.file_safety import open_no_follow

log = logging.getLogger("gan")


class BelowWarning(logging.Filter):
    """Lets through what is below WARNING: the console sends those to stdout and warnings and errors to stderr."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < logging.WARNING


class RunLogFile(logging.FileHandler):
    """The run folder's train.log, written only once the command does work there (``keep_run_log``).

    Until then its lines are held in memory: a command refused before any work (a resume of a run that is busy, or
    with nothing left to do, or with a value that would change the run) leaves the run folder byte for byte as it
    was, its train.log too. Hydra makes one per job (conf/train.yaml's hydra.job_logging)."""

    live: list["RunLogFile"] = []

    def __init__(self, filename, mode: str = "a", encoding: str | None = None) -> None:
        super().__init__(filename, mode, encoding, delay=True)  # delay: no file until the first kept line
        self.held: list[logging.LogRecord] | None = []
        RunLogFile.live = [h for h in RunLogFile.live if h.held is not None] + [self]

    def emit(self, record: logging.LogRecord) -> None:
        if self.held is None:
            super().emit(record)
        else:
            self.held.append(record)

    def _open(self):  # a train.log that is a link, symbolic or hard, is never written through
        return open_no_follow(self.baseFilename, self.mode, encoding=self.encoding)

    def keep(self) -> None:
        held, self.held = self.held, None
        for record in held or ():
            super().emit(record)


def keep_run_log() -> None:
    """From now on the run's lines go to its train.log, the ones held so far first."""
    for handler in RunLogFile.live:
        handler.keep()
    RunLogFile.live = []
