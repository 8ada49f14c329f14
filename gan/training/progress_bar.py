"""The progress bar in a person's units: ``epoch 1/1``, images done of the epoch's images, images per second,
and the last training step's mean losses (a chunk's at batch size 1) (the same pair the end of the run prints)."""

from lightning.pytorch.callbacks import ProgressBar
from tqdm.auto import tqdm


class ImageProgressBar(ProgressBar):
    """One tqdm bar per epoch, counted in training images (all processes together).

    Built on Lightning's ``ProgressBar`` base rather than ``TQDMProgressBar``: that one counts Lightning batches,
    which are batches of 64 images in one run and chunks of 2,048 in the faithful mode, so its totals, rates and
    a resumed epoch's starting point would mean different things from run to run; images mean the same in all."""

    def __init__(self):
        super().__init__()
        self._enabled = True
        self._bar = None
        self._seen = 0

    def disable(self) -> None:
        self._enabled = False

    def enable(self) -> None:
        self._enabled = True

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        data = trainer.datamodule
        total = len(data.train_set)
        done = min(total, pl_module.state.epoch_updates * data.images_per_update * trainer.world_size)
        epochs = f"/{trainer.max_epochs}" if trainer.max_epochs and trainer.max_epochs > 0 else ""
        self._bar = tqdm(
            total=total,
            initial=done,
            desc=f"epoch {trainer.current_epoch + 1}{epochs}",
            unit="img",
            unit_scale=True,
            dynamic_ncols=True,
            disable=not (self._enabled and trainer.is_global_zero),
        )
        self._seen = pl_module.state.images

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        images = pl_module.state.images
        self._bar.update(images - self._seen)
        self._seen = images
        if pl_module.last_losses is not None:
            d, g = pl_module.last_losses
            self._bar.set_postfix_str(f"loss D {d:.3f} G {g:.3f}", refresh=False)

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def teardown(self, trainer, pl_module, stage) -> None:
        self.on_train_epoch_end(trainer, pl_module)
