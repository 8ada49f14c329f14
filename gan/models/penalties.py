"""Gradient penalties on D, added to D's loss in its step (``gan.models.update_steps.LogitSteps``).

- **R1** (Mescheder et al. 2018, "Which training methods for GANs actually converge?"): ``r1/2 · E‖∇ₓD(x)‖²`` on
  real samples, zero-centred: D is pushed to be flat on the data, which makes training converge locally.
- **R2**: the same on fake samples. R1 + R2 with relativistic pairing is R3GAN's objective (Huang et al. 2024).
- **GP** (WGAN-GP, Gulrajani et al. 2017): ``gp · E(‖∇ₓD(x̂)‖ - 1)²`` on points x̂ between a real and a fake
  sample, one-centred: keeps a Wasserstein critic 1-Lipschitz.

A norm is taken per judgement of D: per sample, or per pack of samples with PacGAN. ``every=k`` is lazy
regularisation (StyleGAN2): the penalties are applied every k-th D step only, scaled by k, which saves k-1 double
backward passes of every k. The strengths follow the learning rate's schedule (``schedule``), never below
``floor`` times their starting value (R3GAN decays γ with its learning rate).
"""

import torch

from gan.rules import FLOOR, POSITIVE_INT, STRENGTH


def _input_gradient(logits: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
    """dlogits/dinputs, one row per judgement of D [judgements, -1], kept in the graph so D's step can follow it."""
    (gradient,) = torch.autograd.grad(logits.sum(), inputs, create_graph=True)
    return gradient.reshape(logits.numel(), -1)


class Penalty:
    def __init__(self, r1: float = 0.0, r2: float = 0.0, gp: float = 0.0, every: int = 1, floor: float = 0.0):
        for key, value in (("r1", r1), ("r2", r2), ("gp", gp)):
            STRENGTH.check(f"penalty.{key}", value)
        POSITIVE_INT.check("penalty.every", every)
        FLOOR.check("penalty.floor", floor)
        self.r1, self.r2, self.gp, self.every, self.floor = r1, r2, gp, every, floor

    @property
    def active(self) -> bool:
        return bool(self.r1 or self.r2 or self.gp)

    def due(self, d_step: int) -> bool:
        """Is the penalty applied at D's ``d_step``-th step (counted from 0)? Every ``every``-th one."""
        return self.active and d_step % self.every == 0

    def strength(self, schedule_factor: float) -> float:
        """The share of the starting strengths in force now: the schedule's, at least ``floor``, times ``every``."""
        return max(schedule_factor, self.floor) * self.every

    @staticmethod
    def zero_centred(logits: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        """E‖∇ₓD(x)‖², ``logits`` computed from ``inputs`` (which require grad)."""
        return _input_gradient(logits, inputs).square().sum(1).mean()

    @staticmethod
    def one_centred(critic, real: torch.Tensor, fake: torch.Tensor, condition=()) -> torch.Tensor:
        """E(‖∇ₓD(x̂)‖ - 1)² at x̂ = εx + (1 - ε)x̃, one ε ~ U[0, 1] per sample."""
        mix = torch.rand(*real.shape[:-1], 1, device=real.device, dtype=real.dtype)
        between = (mix * real.detach() + (1 - mix) * fake.detach()).requires_grad_(True)
        norms = _input_gradient(critic(between, *condition), between).norm(dim=1)
        return (norms - 1).square().mean()

    def __repr__(self) -> str:
        return f"Penalty(r1={self.r1}, r2={self.r2}, gp={self.gp}, every={self.every}, floor={self.floor})"
