"""How the learning rate (and a penalty's strength) changes over a run: a factor of the starting value per update.

- ``constant``: 1 throughout (the walkthrough's, and every preset's before the modern objective);
- ``linear``: from 1 down to ``final`` at the last update, in a straight line;
- ``cosine``: from 1 down to ``final`` along half a cosine (slow, then fast, then slow).

The factor reaches ``final`` exactly at the run's last update (``total`` updates: update ``total - 1`` counted
from 0), and stays there if training goes on. The Trainer steps it through Lightning's lr schedulers
(``GAN.configure_optimizers``; the schedulers' position is in every checkpoint, so a resumed run continues it).
"""

import math

from gan.errors import ConfigError
from gan.rules import FINAL, RAMP_IMAGES, RAMP_SHAPE, RAMP_VALUE, SHAPE


class Schedule:
    def __init__(self, shape: str = "constant", final: float = 1.0):
        SHAPE.check("schedule.shape", shape)
        FINAL.check("schedule.final", final)
        if shape == "constant" and final != 1:
            raise ConfigError(f"schedule.final={final} has no effect with schedule.shape=constant (its factor stays 1):"
                              " choose schedule=linear or schedule=cosine to decay to it")  # fmt: skip
        self.shape, self.final = shape, float(final)

    @property
    def constant(self) -> bool:
        return self.final == 1  # shape constant is refused any other final

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


class Ramp:
    """A hyperparameter over the images a run has seen, as R3GAN's training loop schedules lr, gamma, Adam's beta2 and
    the EMA half-life (``cosine_decay_with_warmup`` without its warm-up): ``start`` at 0 images, ``end`` from
    ``images`` on; in between along half a cosine (``cosine``: start + (1 - (1 + cos(pi n / images)) / 2)(end -
    start)) or a straight line (``linear``). A ramp may rise (beta2 0.9 -> 0.99) as well as fall (lr 2e-4 -> 5e-5)."""

    def __init__(self, start: float, end: float, images: int, shape: str = "cosine"):
        for key, value in (("start", start), ("end", end)):
            RAMP_VALUE.check(f"ramp {key}", value)
        RAMP_IMAGES.check("ramp images", images)
        RAMP_SHAPE.check("ramp shape", shape)
        self.start, self.end, self.images, self.shape = float(start), float(end), images, shape

    def value(self, seen: int) -> float:
        """The value once ``seen`` images have been trained on."""
        if seen >= self.images:
            return self.end
        progress = seen / self.images
        moved = progress if self.shape == "linear" else 1 - (1 + math.cos(math.pi * progress)) / 2
        return self.start + moved * (self.end - self.start)

    def __repr__(self) -> str:
        return f"Ramp({self.start:g} -> {self.end:g} over {self.images:,} images, {self.shape})"


class Ramps:
    """R3GAN's schedule, each hyperparameter on its own ``Ramp`` over images seen (None: not ramped):

    - ``lr``: both networks' learning rate (in place of ``optimizer.lr`` and ``schedule``);
    - ``gamma``: the strength of R1 and R2 (in place of ``penalty.r1`` and ``penalty.r2``; lazy scaling still applies);
    - ``beta2``: Adam's second-moment decay;
    - ``ema_half_life``: the images over which G's moving average halves a weight's past (R3GAN's ``ema_nimg``): the
      decay per update is 0.5 ** (images per update / half-life), 0 (the average is G itself) at a half-life of 0.

    ``GAN.training_step`` applies them before each update, at the images seen so far (``TrainingState.images``), so a
    resumed run continues them exactly."""

    def __init__(self, lr: Ramp | None = None, gamma: Ramp | None = None, beta2: Ramp | None = None,
                 ema_half_life: Ramp | None = None):  # fmt: skip
        self.lr, self.gamma, self.beta2, self.ema_half_life = lr, gamma, beta2, ema_half_life

    @property
    def any(self) -> bool:
        return any(r is not None for r in (self.lr, self.gamma, self.beta2, self.ema_half_life))

    def apply(self, optimizers, seen: int) -> None:
        """Set each optimizer's learning rate and beta2 for the update after ``seen`` images."""
        for optimizer in optimizers:
            for group in optimizer.param_groups:
                if self.lr is not None:
                    group["lr"] = self.lr.value(seen)
                if self.beta2 is not None:
                    group["betas"] = (group["betas"][0], self.beta2.value(seen))

    def ema_decay(self, seen: int, images_per_update: int) -> float:
        half_life = self.ema_half_life.value(seen)
        return 0.0 if half_life <= 0 else 0.5 ** (images_per_update / half_life)

    def __repr__(self) -> str:
        ramped = {k: v for k, v in vars(self).items() if v is not None}
        return f"Ramps({', '.join(f'{k}={v}' for k, v in ramped.items())})"


def planned_updates(trainer, max_updates, max_images, optimizer_steps: int, what: str) -> int:
    """A run's length in updates, the least of its limits (``max_updates``, ``max_images``, the Trainer's epochs and
    max_steps, which counts ``optimizer_steps`` per update), so that a decaying schedule ends where the run does.
    ``what`` names the setting that needs it, in the error of a run with no length."""
    per_update = trainer.datamodule.images_per_update * trainer.world_size
    _ = trainer.estimated_stepping_batches  # reading it sets up the training data, so num_training_batches is known
    epochs, max_steps = trainer.max_epochs, trainer.max_steps
    limits = [
        max_updates,
        None if max_images is None else -(-max_images // per_update),
        max_steps // optimizer_steps if max_steps and max_steps > 0 else None,  # Lightning counts every step
        trainer.num_training_batches * epochs if epochs and epochs > 0 else None,  # one batch, one update
    ]
    finite = [int(n) for n in limits if n is not None and n != float("inf")]
    if not finite:
        raise ConfigError(f"{what} decays over the run, but the run has no length: set max_updates, max_images or "
                          "trainer.max_epochs")  # fmt: skip
    return min(finite)
