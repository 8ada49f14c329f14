"""Losses on D's probability, as the walkthrough uses them, each with the value where D and G balance.

At equilibrium D outputs 0.5 for everything: MSE is then (1 - 0.5)^2 = 0.25 and BCE is -ln 0.5 = ln 2.
"""

import math

import torch
from torch import nn


class _Float32:
    """Under mixed precision (``trainer.precision=bf16-mixed`` / ``16-mixed``) the loss is taken in float32: a
    probability near 0 or 1 loses its distance from the target in 16 bits, and CUDA's autocast refuses BCELoss."""

    def forward(self, probability: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if torch.is_autocast_enabled(probability.device.type):
            with torch.autocast(probability.device.type, enabled=False):
                return super().forward(probability.float(), target.float())
        return super().forward(probability, target)


class MSELoss(_Float32, nn.MSELoss):
    """The first GAN's loss."""

    equilibrium = 0.25


class BCELoss(_Float32, nn.BCELoss):
    """The improved GAN's loss: binary cross-entropy on D's probability."""

    equilibrium = math.log(2)
