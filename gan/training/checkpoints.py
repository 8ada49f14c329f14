"""Checkpoints that are always whole: at every epoch end, every few minutes within an epoch, and on Ctrl-C or
SIGTERM, so no run loses more than a few minutes."""

import signal
import time
from pathlib import Path

import lightning as L
from lightning.pytorch.callbacks import Checkpoint
from lightning.pytorch.plugins.io import TorchCheckpointIO
from omegaconf import OmegaConf

from gan.errors import ConfigError
from gan.file_safety import UnsafeFileError, atomic_path, load_tensors
from gan.logs import log
from gan.rules import EVERY_MINUTES


class AtomicCheckpointIO(TorchCheckpointIO):
    """Write each checkpoint beside its target and rename it into place: a crash mid-write leaves the
    previous checkpoint intact instead of a truncated one. Read each one as tensors and plain values only
    (``weights_only=True``, whatever the caller asks): a checkpoint never runs code when Lightning resumes it.

    ``loaded``: (path, contents) of a checkpoint the caller has read already (a resume reads it to find the run's
    config and to see whether anything is left to do); Lightning's own read of that path gets those contents
    instead of reading the file again."""

    def __init__(self, loaded: tuple[Path, dict] | None = None):
        super().__init__()
        self._loaded = loaded

    def save_checkpoint(self, checkpoint, path, storage_options=None) -> None:
        _refuse_outside(Path(path))
        with atomic_path(path) as tmp:
            super().save_checkpoint(checkpoint, tmp, storage_options)

    def load_checkpoint(self, path, map_location=None, weights_only=None) -> dict:
        if self._loaded is not None and Path(path) == Path(self._loaded[0]):
            contents, self._loaded = self._loaded[1], None  # handed over once: Lightning may change what it reads
        else:
            contents = load_tensors(path, map_location=map_location)
        return forget_checkpoint_paths(contents)

    def remove_checkpoint(self, path) -> None:
        """Lightning removes a checkpoint a ModelCheckpoint no longer keeps: only a plain file in a run's own
        checkpoints/ folder is removed, never a folder, a link or anything elsewhere."""
        path = Path(path)
        if path.is_symlink() or not path.is_file() or path.parent.name != "checkpoints" or path.parent.is_symlink():
            log.warning(f"WARNING: {path} not removed: only a checkpoint file in a run's checkpoints/ folder is")
            return
        path.unlink()


# what Lightning's ModelCheckpoint restores from a checkpoint and later removes or overwrites: a crafted checkpoint
# would name any file or folder there; a resumed run starts with none of them
CHECKPOINT_PATHS = {"best_model_path": "", "last_model_path": "", "kth_best_model_path": "", "best_k_models": {}}


def forget_checkpoint_paths(contents: dict) -> dict:
    """``contents`` with every path a ModelCheckpoint's saved state names dropped (``CHECKPOINT_PATHS``)."""
    states = contents.get("callbacks") if isinstance(contents, dict) else None
    for key, state in (states or {}).items():
        if isinstance(key, str) and key.startswith("ModelCheckpoint") and isinstance(state, dict):
            state.update({name: empty for name, empty in CHECKPOINT_PATHS.items() if name in state})
    return contents


def _refuse_outside(path: Path) -> None:
    """A checkpoint is written as a file of a run's checkpoints/ folder, neither of them a link."""
    if path.parent.name != "checkpoints" or path.parent.is_symlink() or path.is_symlink():
        raise UnsafeFileError(f"{path}: a checkpoint is written only as a file of its run's checkpoints/ folder")


class Checkpoints(Checkpoint):
    """``epoch=N.ckpt`` and ``last.ckpt`` at each epoch end, and ``last.ckpt`` every ``every_minutes`` of training
    within an epoch, so a hard kill (``kill -9``, out of memory, power loss) loses at most that long.

    A checkpoint is written between training steps, where weights, optimizers, the data position and the noise
    RNG all describe the same moment: resuming from any of them continues exactly.

    Why not Lightning's ``ModelCheckpoint(train_time_interval=..., save_last=True)``, which a user can still add on
    a metric (``callbacks=best_checkpoint``): it skips any save at a ``global_step`` it has saved before, and the
    faithful batch-1 mode does not advance ``global_step`` (gan/models/faithful.py), so its timed saves would stop
    after the first; and a run stopped by max_updates must be saved mid-epoch, not at the epoch end
    (``_stopped_by_limit``), or a resumed run with a larger limit would skip the rest of that epoch.
    """

    def __init__(self, dirpath, every_minutes: float | None = 2.0):
        EVERY_MINUTES.check("checkpoints.every_minutes", every_minutes)
        self.dirpath = Path(dirpath)
        self.every_seconds = None if every_minutes is None else 60.0 * every_minutes
        self._saved_at = 0.0

    @property
    def last(self) -> Path:
        return self.dirpath / "last.ckpt"

    def on_train_start(self, trainer, pl_module) -> None:
        self._saved_at = time.monotonic()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if self._stopped_by_limit(pl_module):
            # saved here, mid-epoch, not at the epoch end: Lightning marks an epoch that reaches its end hooks as
            # finished, and a run resumed with a larger limit would skip the rest of it
            self._save(trainer, self.last)
            return
        if self.every_seconds is None:
            return
        due = time.monotonic() - self._saved_at >= self.every_seconds
        if trainer.world_size > 1:  # every process must take part in a save: rank 0's clock decides
            due = trainer.strategy.broadcast(due, src=0)
        if due:
            self._save(trainer, self.last)

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        if self._stopped_by_limit(pl_module):  # the epoch was cut short: its checkpoint is the one saved above
            return
        self._save(trainer, self.dirpath / f"epoch={trainer.current_epoch}.ckpt")
        self._save(trainer, self.last)

    @staticmethod
    def _stopped_by_limit(pl_module) -> bool:
        """Did max_updates or max_images end training, before the epoch's data ran out?"""
        module_state = pl_module.state
        reached = module_state.reached(pl_module.max_updates, pl_module.max_images)
        return reached and module_state.epoch_updates < pl_module.trainer.datamodule.updates_per_epoch(
            pl_module.trainer.world_size
        )

    def _save(self, trainer, path: Path) -> None:
        trainer.save_checkpoint(path)
        self._saved_at = time.monotonic()


class ConfigInCheckpoints(L.Callback):
    """Every checkpoint carries the run's whole config (resolved), so ``resume=``, ``evaluate.py`` and
    ``generate.py`` work from the .ckpt file alone, even when it is copied out of its run folder."""

    def __init__(self, cfg):
        self.config = OmegaConf.to_container(cfg, resolve=True)

    def on_save_checkpoint(self, trainer, pl_module, checkpoint) -> None:
        checkpoint["config"] = self.config


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

    Why not Lightning's own handling: on SIGTERM it raises ``SIGTERMException`` at the next batch without saving
    anything, and Ctrl-C interrupts in the middle of a step; neither leaves a checkpoint to resume from.
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


def check_weights_fit(module, state_dict, source) -> None:
    """``ConfigError`` naming the first tensor of ``state_dict`` (a checkpoint's weights) that the networks its config
    builds (``module``) do not have, lack, or hold in another shape: before any of them is loaded."""
    if not isinstance(state_dict, dict):
        raise ConfigError(f"{source}: its state_dict is not a mapping of tensors ({type(state_dict).__name__})")
    ours = module.state_dict()
    for name, tensor in state_dict.items():
        if name not in ours:
            raise ConfigError(f"{source}: its weights hold {name}, which the networks its config builds do not have")
        shape = tuple(getattr(tensor, "shape", ()))
        if shape != tuple(ours[name].shape):
            raise ConfigError(
                f"{source}: its weights do not fit its config: {name} is {list(shape)} in the checkpoint, "
                f"{list(ours[name].shape)} in the networks the config builds"
            )
    missing = [name for name in ours if name not in state_dict]
    if missing:
        raise ConfigError(f"{source}: its weights lack {missing[0]}, which the networks its config builds have")
