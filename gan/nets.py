"""The networks. The walkthrough's two are one hidden layer of 200 and end in Sigmoid.

``leaky_slope=None, layer_norm=False`` is the first GAN (Sigmoid hidden layer); the improved one uses
LeakyReLU(0.02) followed by LayerNorm(200). Each keeps its layers in ``self.model`` like the
walkthrough's classes, so their ``state_dict`` keys match a transcription of it.
"""

import torch
from torch import nn


def _mlp(in_dim: int, hidden_dim: int, out_dim: int, leaky_slope: float | None, layer_norm: bool):
    for name, value in (("in_dim", in_dim), ("hidden_dim", hidden_dim), ("out_dim", out_dim)):
        if value < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")
    if leaky_slope is not None and leaky_slope < 0:
        raise ValueError(f"leaky_slope must be >= 0 (or null for Sigmoid), got {leaky_slope}")
    hidden = [nn.Sigmoid()] if leaky_slope is None else [nn.LeakyReLU(leaky_slope)]
    if layer_norm:
        hidden.append(nn.LayerNorm(hidden_dim))
    return nn.Sequential(nn.Linear(in_dim, hidden_dim), *hidden, nn.Linear(hidden_dim, out_dim), nn.Sigmoid())


class Discriminator(nn.Module):
    """image [..., 784] -> probability that it is real [..., 1]."""

    def __init__(self, image_dim=784, hidden_dim=200, leaky_slope=None, layer_norm=False):
        super().__init__()
        self.model = _mlp(image_dim, hidden_dim, 1, leaky_slope, layer_norm)

    def forward(self, images):
        return self.model(images)


class Generator(nn.Module):
    """seed [..., latent_dim] -> image [..., 784] in (0, 1)."""

    def __init__(self, latent_dim=1, hidden_dim=200, image_dim=784, leaky_slope=None, layer_norm=False):
        super().__init__()
        if latent_dim < 1:
            raise ValueError(f"latent_dim must be >= 1, got {latent_dim}")
        self.latent_dim = latent_dim
        self.model = _mlp(latent_dim, hidden_dim, image_dim, leaky_slope, layer_norm)

    def forward(self, seeds):
        return self.model(seeds)


class ConditionalDiscriminator(nn.Module):
    """(image [..., 784], one-hot digit [..., 10]) -> probability that it is a real image of that digit [..., 1].

    The walkthrough's improved MLP on the concatenation, as the conditional GAN of the book it follows.
    """

    def __init__(self, image_dim=784, classes=10, hidden_dim=200, leaky_slope=0.02, layer_norm=True):
        super().__init__()
        self.classes = classes
        self.model = _mlp(image_dim + classes, hidden_dim, 1, leaky_slope, layer_norm)

    def forward(self, images, labels):
        return self.model(torch.cat([images, labels], dim=-1))


class ConditionalGenerator(nn.Module):
    """(seed [..., latent_dim], one-hot digit [..., 10]) -> image of that digit [..., 784]."""

    def __init__(self, latent_dim=100, classes=10, hidden_dim=200, image_dim=784, leaky_slope=0.02, layer_norm=True):
        super().__init__()
        if latent_dim < 1:
            raise ValueError(f"latent_dim must be >= 1, got {latent_dim}")
        self.latent_dim, self.classes = latent_dim, classes
        self.model = _mlp(latent_dim + classes, hidden_dim, image_dim, leaky_slope, layer_norm)

    def forward(self, seeds, labels):
        return self.model(torch.cat([seeds, labels], dim=-1))


class ConvDiscriminator(nn.Module):
    """A small DCGAN discriminator: image [..., 784] -> probability real [..., 1]."""

    def __init__(self, channels=32, leaky_slope=0.2):
        super().__init__()
        self.model = nn.Sequential(
            nn.Unflatten(-1, (1, 28, 28)),  # [N, 1, 28, 28]
            nn.Conv2d(1, channels, 4, stride=2, padding=1),  # [N, c, 14, 14]
            nn.LeakyReLU(leaky_slope),
            nn.Conv2d(channels, 2 * channels, 4, stride=2, padding=1),  # [N, 2c, 7, 7]
            nn.BatchNorm2d(2 * channels),
            nn.LeakyReLU(leaky_slope),
            nn.Flatten(),  # [N, 2c * 49]
            nn.Linear(2 * channels * 7 * 7, 1),  # [N, 1]
            nn.Sigmoid(),  # a probability, like the MLPs: every `loss` option applies
        )

    def forward(self, images):
        batch_shape = images.shape[:-1]  # () for the walkthrough's unbatched images
        return self.model(images.reshape(-1, images.shape[-1])).reshape(*batch_shape, 1)


class ConvGenerator(nn.Module):
    """A small DCGAN generator: seed [..., latent_dim] -> image [..., 784] in (0, 1)."""

    def __init__(self, latent_dim=100, channels=32):
        super().__init__()
        if latent_dim < 1:
            raise ValueError(f"latent_dim must be >= 1, got {latent_dim}")
        self.latent_dim = latent_dim
        self.model = nn.Sequential(
            nn.Linear(latent_dim, 2 * channels * 7 * 7),  # [N, 2c * 49]
            nn.Unflatten(1, (2 * channels, 7, 7)),  # [N, 2c, 7, 7]
            nn.BatchNorm2d(2 * channels),
            nn.ReLU(),
            nn.ConvTranspose2d(2 * channels, channels, 4, stride=2, padding=1),  # [N, c, 14, 14]
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            nn.ConvTranspose2d(channels, 1, 4, stride=2, padding=1),  # [N, 1, 28, 28]
            nn.Sigmoid(),
            nn.Flatten(),  # [N, 784]
        )

    def forward(self, seeds):
        batch_shape = seeds.shape[:-1]
        return self.model(seeds.reshape(-1, self.latent_dim)).reshape(*batch_shape, 784)
