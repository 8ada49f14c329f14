"""R3GAN's networks at 28x28 (Huang et al. 2024; brownvc/R3GAN, R3GAN/Networks.py), small enough for a CPU.

Residual blocks without normalisation: a 1x1 convolution widening the block by ``expansion``, a grouped 3x3
convolution (groups of ``group_width`` channels), a 1x1 convolution back, leaky ReLU between them, and the branch's
last layer initialised to zero, so every block starts as the identity. Weights start at variance scaling: a
block's layers at He's scale times (blocks)^(-1/4), R3GAN's fix-up for 3 layers per branch. Resolution changes by
bilinear resampling, with a 1x1 convolution where the width changes. G: noise -> 7x7 -> 14x14 -> 28x28, D the
reverse, one stage of ``blocks`` blocks at each resolution, each as wide as ``widths`` says (G from 7x7 up, D
from 28x28 down). D's and G's widths are set apart, so their capacities are config values.

What differs from R3GAN's own: 3 stages at 7, 14, 28 rather than from 4x4 up; the basis of G is a linear layer from
the noise and D ends in a linear layer (R3GAN: a 4x4 constant basis and a grouped 4x4 convolution); bilinear
resampling by torch's interpolation (R3GAN: its own FIR filter); G ends in a Sigmoid, as every G here does,
for images in [0, 1]; no conditioning.
"""

import math

from torch import nn

from gan.models.nets import PIXELS, Critic, MinibatchStd, _check_positive, _spectral_norm, image_logits

SIDES = (7, 14, 28)  # the resolutions of the three stages


def _scaled(layer: nn.Module, gain: float) -> nn.Module:
    """Variance scaling: weights ~ N(0, (gain / sqrt(fan_in))^2), biases 0."""
    fan_in = layer.weight[0].numel()
    nn.init.normal_(layer.weight, 0.0, gain / math.sqrt(fan_in))
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)
    return layer


class ResidualBlock(nn.Module):
    """x + branch(x): 1x1 widen, grouped 3x3, 1x1 back (zero at the start), leaky ReLU between; no normalisation."""

    def __init__(self, channels: int, blocks: int, expansion: int = 2, group_width: int = 16, slope: float = 0.2):
        super().__init__()
        hidden = channels * expansion
        groups = max(1, hidden // group_width) if hidden % group_width == 0 else 1
        gain = math.sqrt(2 / (1 + slope**2)) * blocks ** (-1 / 4)
        self.branch = nn.Sequential(
            _scaled(nn.Conv2d(channels, hidden, 1), gain),
            nn.LeakyReLU(slope),
            _scaled(nn.Conv2d(hidden, hidden, 3, padding=1, groups=groups), gain),
            nn.LeakyReLU(slope),
            nn.Conv2d(hidden, channels, 1),
        )
        nn.init.zeros_(self.branch[-1].weight)  # the block starts as the identity
        nn.init.zeros_(self.branch[-1].bias)

    def forward(self, x):
        return x + self.branch(x)


def _stage(channels: int, blocks: int, total: int, expansion: int, group_width: int) -> list[nn.Module]:
    return [ResidualBlock(channels, total, expansion, group_width) for _ in range(blocks)]


def _resample(scale: float, width_in: int, width_out: int) -> list[nn.Module]:
    """Bilinear resampling by ``scale``, then a 1x1 convolution where the width changes."""
    layers: list[nn.Module] = [nn.Upsample(scale_factor=scale, mode="bilinear", align_corners=False)]
    if width_in != width_out:
        layers.append(_scaled(nn.Conv2d(width_in, width_out, 1), 1.0))
    return layers


class ResidualGenerator(nn.Module):
    """R3GAN's G at 28x28: noise z [..., latent_dim] -> image [..., image_channels * 784] in (0, 1).
    ``widths``: the widths at 7x7, 14x14 and 28x28."""

    classes = None  # unconditional

    def __init__(self, latent_dim=100, widths=(64, 32, 16), blocks=1, expansion=2, group_width=16, image_channels=1):
        super().__init__()
        _check_positive(latent_dim=latent_dim, blocks=blocks, expansion=expansion, image_channels=image_channels)
        _check_positive(**{f"widths[{i}]": c for i, c in enumerate(widths)})
        if len(widths) != len(SIDES):
            raise ValueError(f"widths={list(widths)}: one width for each of 7x7, 14x14 and 28x28")
        self.latent_dim, self.image_dim = latent_dim, image_channels * PIXELS
        total = blocks * len(SIDES)
        layers: list[nn.Module] = [
            _scaled(nn.Linear(latent_dim, widths[0] * 7 * 7), 1.0),  # [N, c0 * 49]
            nn.Unflatten(1, (widths[0], 7, 7)),  # [N, c0, 7, 7]
        ]
        for i, width in enumerate(widths):
            if i:  # [N, c_i, 2 side, 2 side]
                layers += _resample(2.0, widths[i - 1], width)
            layers += _stage(width, blocks, total, expansion, group_width)
        layers += [
            nn.LeakyReLU(0.2),
            _scaled(nn.Conv2d(widths[-1], image_channels, 1), 1.0),  # [N, k, 28, 28]
            nn.Sigmoid(),
            nn.Flatten(),  # [N, k * 784]
        ]
        self.model = nn.Sequential(*layers)

    def forward(self, z):
        batch_shape = z.shape[:-1]
        return self.model(z.reshape(-1, self.latent_dim)).reshape(*batch_shape, self.image_dim)


class ResidualDiscriminator(Critic):
    """R3GAN's D at 28x28: image [..., image_channels * 784] -> probability real [..., 1] (its logit: ``logits``).
    ``widths``: the widths at 28x28, 14x14 and 7x7. Packed, the m samples enter as m * image_channels channels."""

    def __init__(
        self,
        widths=(16, 32, 64),
        blocks=1,
        expansion=2,
        group_width=16,
        image_channels=1,
        pack=1,
        minibatch_std=False,
        spectral_norm=False,
    ):
        super().__init__()
        _check_positive(blocks=blocks, expansion=expansion, image_channels=image_channels, pack=pack)
        _check_positive(**{f"widths[{i}]": c for i, c in enumerate(widths)})
        if len(widths) != len(SIDES):
            raise ValueError(f"widths={list(widths)}: one width for each of 28x28, 14x14 and 7x7")
        self.pack = pack
        total = blocks * len(SIDES)
        layers: list[nn.Module] = [
            nn.Unflatten(-1, (pack * image_channels, 28, 28)),  # [N, m * k, 28, 28]
            _scaled(nn.Conv2d(pack * image_channels, widths[0], 1), 1.0),  # [N, c0, 28, 28]
        ]
        for i, width in enumerate(widths):
            if i:  # [N, c_i, side / 2, side / 2]
                layers += _resample(0.5, widths[i - 1], width)
            layers += _stage(width, blocks, total, expansion, group_width)
        layers += [nn.LeakyReLU(0.2), *([MinibatchStd()] if minibatch_std else []), nn.Flatten()]
        layers.append(_scaled(nn.Linear((widths[-1] + int(minibatch_std)) * 49, 1), 1.0))  # [N, 1]: the logit
        self.model = nn.Sequential(*layers)
        if spectral_norm:
            _spectral_norm(self.model)

    def logits(self, images):
        return image_logits(self.model, images, self.pack)

