"""The walkthrough's two networks. Both are one hidden layer of 200 and end in Sigmoid.

``leaky_slope=None, layer_norm=False`` is the first GAN (Sigmoid hidden layer); the improved one uses
LeakyReLU(0.02) followed by LayerNorm(200). Each keeps its layers in ``self.model`` like the
walkthrough's classes, so their ``state_dict`` keys match a transcription of it.
"""

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
