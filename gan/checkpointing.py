"""Checkpoints that are always whole, and one more on Ctrl-C or SIGTERM so no run is lost."""

import signal
from pathlib import Path

import lightning as L
from lightning.pytorch.plugins.io import TorchCheckpointIO

from gan.files import atomic_path


class AtomicCheckpointIO(TorchCheckpointIO):
    """Write each checkpoint beside its target and rename it into place: a crash mid-write leaves the
    previous checkpoint intact instead of a truncated one."""

    def save_checkpoint(self, checkpoint, path, storage_options=None) -> None:
        with atomic_path(path) as tmp:
            super().save_checkpoint(checkpoint, tmp, storage_options)


class TrainingInterrupted(Exception):
    """Raised after the checkpoint of an interrupted run is written."""

    def __init__(self, signal_name: str, checkpoint: Path):
        super().__init__(f"{signal_name}: stopped after the current chunk; saved {checkpoint}")
        self.checkpoint = checkpoint


class SaveOnInterrupt(L.Callback):
    """The first SIGINT (Ctrl-C) or SIGTERM finishes the current chunk, saves ``path`` and stops training.

    Stopping at a chunk boundary keeps the checkpoint consistent: weights, optimizer state, the data
    position and the noise RNG all describe the same moment, so a resumed run continues exactly. A second
    Ctrl-C interrupts at once.
    """

    def __init__(self, path):
        self.path = Path(path)
        self.received: str | None = None
        self._previous = {}

    def _handle(self, signum, frame) -> None:
        self.received = signal.Signals(signum).name
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl-C stops immediately

    def on_train_start(self, trainer, pl_module) -> None:
        # installed here, after Lightning's own signal connector, so these handlers are the ones that run
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._handle)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if self.received:
            trainer.save_checkpoint(self.path)
            self._restore()
            raise TrainingInterrupted(self.received, self.path)

    def teardown(self, trainer, pl_module, stage) -> None:
        self._restore()

    def _restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()
