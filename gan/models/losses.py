"""The losses. On D's probability, as the walkthrough uses them (MSELoss, BCELoss: three optimizer steps per
update; two with the DCGAN's update, ``model.d_update=summed``), and on D's logits (``LogitLoss``: one D step on
a real and a fake batch, then G), each with the value where D and G balance.

At equilibrium D outputs 0.5 for everything: MSE is then (1 - 0.5)^2 = 0.25 and BCE is -ln 0.5 = ln 2.
"""

import math

import torch
from torch import nn


class _Float32:
    """Under mixed precision (``trainer.precision=bf16-mixed`` / ``16-mixed``) the loss is taken in float32 on a
    float32 probability: D computes its sigmoid on float32 logits (``gan.models.nets.Critic.forward``), since a
    probability near 0 or 1 loses its distance from the target in 16 bits; here the loss itself runs with autocast off
    (CUDA's autocast refuses BCELoss)."""

    def forward(self, probability: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if torch.is_autocast_enabled(probability.device.type):
            with torch.autocast(probability.device.type, enabled=False):
                return super().forward(probability.float(), target.float())
        return super().forward(probability, target)


def bce(probability: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """torch's binary cross-entropy, written out: each log clamped at -100 as torch clamps it, a NaN passed on."""
    log_p, log_not_p = probability.log().clamp(min=-100), (1 - probability).log().clamp(min=-100)
    return -(target * log_p + (1 - target) * log_not_p).mean()


class MSELoss(_Float32, nn.MSELoss):
    """The first GAN's loss."""

    equilibrium = 0.25


class BCELoss(_Float32, nn.BCELoss):
    """The improved GAN's loss: binary cross-entropy on D's probability.

    A diverged D outputs NaN, which torch's BCELoss refuses with an error of its own (on the CPU), or with a
    device-side assert that stops the process (on CUDA). The loss is NaN instead, as MSELoss's is, so that training's
    one check of every loss (``GAN._count``) names the step and the update. Off the CPU the loss is written out
    (``bce``): checking for NaN first would cost a synchronisation per step."""

    equilibrium = math.log(2)

    def forward(self, probability: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if probability.device.type != "cpu":
            with torch.autocast(probability.device.type, enabled=False):
                return bce(probability.float(), target.float())
        try:
            return super().forward(probability, target)
        except RuntimeError:
            if not probability.isnan().any():  # any other refusal is not divergence: a bug, with its traceback
                raise
            return probability.sum() * math.nan  # NaN, with a graph: the step's backward() still runs


class LogitLoss(nn.Module):
    """An objective on D's logits, whose update is one D step on a real and a fake batch together, then G's step
    (``gan.models.update_steps.LogitSteps``): a new objective is a subclass with its two losses and one YAML file.

    Both losses take D's logits on the real batch and on the fake batch (each [..., 1]); each returns a scalar.
    ``equilibrium`` is where both losses sit when D cannot tell real from fake (equal logits), when they share one.
    """

    equilibrium: float | None = None

    def discriminator_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def generator_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    uses_real_in_generator_step = False  # does G's loss read D on the real batch too (relativistic pairing)?


class NonSaturating(LogitLoss):
    """The standard GAN loss on logits (Goodfellow et al. 2014, G's non-saturating form), numerically safe:
    D minimises -log sigmoid(real) - log(1 - sigmoid(fake)) = softplus(-real) + softplus(fake);
    G minimises -log sigmoid(fake) = softplus(-fake). At logits 0: D 2 ln 2, G ln 2."""

    def discriminator_loss(self, real, fake):
        return nn.functional.softplus(-real).mean() + nn.functional.softplus(fake).mean()

    def generator_loss(self, real, fake):
        return nn.functional.softplus(-fake).mean()


class Hinge(LogitLoss):
    """The hinge loss (Lim & Ye 2017; SAGAN, BigGAN): D minimises relu(1 - real) + relu(1 + fake); G maximises
    D's logit on its fakes."""

    def discriminator_loss(self, real, fake):
        return nn.functional.relu(1 - real).mean() + nn.functional.relu(1 + fake).mean()

    def generator_loss(self, real, fake):
        return -fake.mean()


class Wasserstein(LogitLoss):
    """WGAN's critic loss (Arjovsky et al. 2017): D maximises mean(real) - mean(fake), G maximises mean(fake).
    Needs a Lipschitz D: with ``penalty.gp`` (WGAN-GP) or ``model.discriminator.spectral_norm=true``."""

    def discriminator_loss(self, real, fake):
        return fake.mean() - real.mean()

    def generator_loss(self, real, fake):
        return -fake.mean()


class Relativistic(LogitLoss):
    """Relativistic pairing (RpGAN; Jolicoeur-Martineau 2019, R3GAN's objective, Huang et al. 2024): D judges each
    real sample against a fake one, softplus(-(real - fake)); G the reverse, softplus(-(fake - real)). At equal
    logits both are ln 2."""

    equilibrium = math.log(2)
    uses_real_in_generator_step = True

    def discriminator_loss(self, real, fake):
        return nn.functional.softplus(fake - real).mean()

    def generator_loss(self, real, fake):
        return nn.functional.softplus(real - fake).mean()
