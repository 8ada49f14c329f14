"""How the learning rate (and a penalty's strength) changes over a run: a factor of the starting value per update.

- ``constant``: 1 throughout (the walkthrough's, and every preset's before the modern objective);
- ``linear``: from 1 down to ``final`` at the last update, in a straight line;
- ``cosine``: from 1 down to ``final`` along half a cosine (slow, then fast, then slow).

The factor reaches ``final`` exactly at the run's last update (``total`` updates: update ``total - 1`` counted
from 0), and stays there if training goes on. The Trainer steps it through Lightning's lr schedulers
(``GAN.configure_optimizers``; the schedulers' position is in every checkpoint, so a resumed run continues it).
"""

import math

from gan.rules import FINAL, SHAPE


class Schedule:
    def __init__(self, shape: str = "constant", final: float = 1.0):
        SHAPE.check("schedule.shape", shape)
        FINAL.check("schedule.final", final)
        self.shape, self.final = shape, float(final)

    @property
    def constant(self) -> bool:
        return self.shape == "constant" or self.final == 1

    def factor(self, update: int, total: int) -> float:
        """The factor at ``update`` (counted from 0) of a run of ``total`` updates."""
        if self.constant:
            return 1.0
        progress = min(update / max(total - 1, 1), 1.0)
        if self.shape == "linear":
            return 1 - (1 - self.final) * progress
        return self.final + (1 - self.final) * (1 + math.cos(math.pi * progress)) / 2

    def __repr__(self) -> str:
        return f"Schedule({self.shape!r}, final={self.final})"
