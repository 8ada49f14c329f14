"""The run's log: one line per fact a person wants (the run's set-up, each epoch's metrics, the end), on the
console and in the run folder's train.log (conf/train.yaml's hydra.job_logging routes both)."""

import logging

log = logging.getLogger("gan")


class BelowWarning(logging.Filter):
    """Lets through what is below WARNING: the console sends those to stdout and warnings and errors to stderr."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < logging.WARNING
