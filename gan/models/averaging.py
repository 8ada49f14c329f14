"""G's exponential moving average: its weights (and BatchNorm statistics) averaged over updates, smoother than G's
last step, so its samples are cleaner and swing less between modes. Every image of a run with one comes from it."""

import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn


class GeneratorAverage(AveragedModel):
    """An ``AveragedModel`` of G with a fixed ``decay`` (``model.ema_decay``), or one set before each update
    (``decay = ...``: R3GAN's ramped half-life, ``ramps.ema_half_life``). Its state is an ``AveragedModel``'s, so
    every checkpoint with an EMA loads as before."""

    def __init__(self, generator: torch.nn.Module, decay: float | None):
        self.decay = decay
        average = get_ema_multi_avg_fn(decay) if decay is not None else self._average_at_current_decay
        super().__init__(generator, multi_avg_fn=average, use_buffers=True)

    def _average_at_current_decay(self, averaged: list, current: list, _) -> None:
        for ema, weight in zip(averaged, current, strict=True):
            if ema.is_floating_point():
                ema.lerp_(weight, 1 - self.decay)
            else:  # a count (BatchNorm's batches tracked): G's own
                ema.copy_(weight)
