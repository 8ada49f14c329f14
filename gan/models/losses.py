"""Losses on D's probability, as the walkthrough uses them, each with the value where D and G balance.

At equilibrium D outputs 0.5 for everything: MSE is then (1 - 0.5)^2 = 0.25 and BCE is -ln 0.5 = ln 2.
"""

import math

from torch import nn


class MSELoss(nn.MSELoss):
    """The first GAN's loss."""

    equilibrium = 0.25


class BCELoss(nn.BCELoss):
    """The improved GAN's loss: binary cross-entropy on D's probability."""

    equilibrium = math.log(2)
