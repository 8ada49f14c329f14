"""The networks. The walkthrough's two are one hidden layer of 200 and end in Sigmoid (D's through ``Critic``,
whose ``logits`` the modern losses take).

``leaky_slope=None, layer_norm=False`` is the first GAN (Sigmoid hidden layer); the improved one uses
LeakyReLU(0.02) followed by LayerNorm(200). Each keeps its layers in ``self.model`` like the
walkthrough's classes, so their ``state_dict`` keys match a transcription of it.

Images are flat: [..., image_channels * 784], channel after channel (Stacked MNIST has 3 channels).
Every discriminator also takes the cures for mode collapse, each off by default:
  - ``pack=m`` (PacGAN, Lin et al. 2018): D judges m consecutive samples at once, all real or all fake;
    its first layer widens by m (the MLPs concatenate the flat samples, the DCGAN stacks their channels);
  - ``minibatch_std`` (ProGAN, Karras et al. 2018): D also sees how much its batch varies, so a collapsed
    batch of near-identical fakes is easy to tell from real images;
  - ``spectral_norm`` (Miyato et al. 2018): every weight divided by its largest singular value, which keeps
    D's gradients to G bounded.
"""

import torch
from torch import nn

from gan.data.csv_files import PIXELS
from gan.errors import ConfigError
from gan.rules import COUNT, LEAKY_SLOPE, POSITIVE_INT


def _check_positive(**values) -> None:
    for name, value in values.items():
        POSITIVE_INT.check(name, value)


def pack_samples(images: torch.Tensor, pack: int) -> torch.Tensor:
    """[..., N, F] -> [..., N / pack, pack * F]: each run of ``pack`` consecutive samples becomes one input.

    An unbatched [pack, F] becomes [1, pack * F]. With ``pack=1`` the input is returned as it is.
    """
    if pack == 1:
        return images
    if images.dim() < 2 or images.shape[-2] % pack:
        raise ConfigError(f"pack={pack}: D needs a multiple of {pack} samples, got shape {tuple(images.shape)}")
    return images.reshape(*images.shape[:-2], images.shape[-2] // pack, pack * images.shape[-1])


class MinibatchStd(nn.Module):
    """Appends one feature (or channel) to each sample: the standard deviation over the batch, averaged.

    ProGAN's layer with the whole batch as one group. Input [..., N, F] (MLP) or [N, C, H, W] (conv); a lone
    unbatched sample [F] has no spread, so it gets 0.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 1:
            return torch.cat([x, x.new_zeros(1)])
        spread = (x.var(dim=0, unbiased=False) + 1e-8).sqrt().mean()  # one number for the batch
        return torch.cat([x, spread.expand(*x.shape[:1], 1, *x.shape[2:])], dim=1)


def _spectral_norm(network: nn.Module) -> nn.Module:
    for layer in network.modules():
        if isinstance(layer, nn.Linear | nn.Conv2d):
            nn.utils.parametrizations.spectral_norm(layer)
    return network


def _mlp(in_dim, hidden_dim, out_dim, leaky_slope, layer_norm, minibatch_std=False, sigmoid=True):
    _check_positive(in_dim=in_dim, hidden_dim=hidden_dim, out_dim=out_dim)
    LEAKY_SLOPE.check("leaky_slope", leaky_slope)
    layers = [nn.Linear(in_dim, hidden_dim)]  # built first: the weights draw from the RNG in layer order
    layers.append(nn.Sigmoid() if leaky_slope is None else nn.LeakyReLU(leaky_slope))
    if layer_norm:
        layers.append(nn.LayerNorm(hidden_dim))
    if minibatch_std:
        layers.append(MinibatchStd())
    layers.append(nn.Linear(hidden_dim + int(minibatch_std), out_dim))
    return nn.Sequential(*layers, *([nn.Sigmoid()] if sigmoid else []))


class Critic(nn.Module):
    """A discriminator: ``logits(...)`` is its network up to the last linear layer (what the losses on logits take,
    ``loss=nonsaturating|hinge|wgan|rpgan``, and DRS), and calling it gives the probability ``sigmoid(logits)`` that
    the walkthrough's losses compare with their targets (``loss=mse|bce``), bit for bit as an ``nn.Sigmoid`` layer.
    The Sigmoid holds no weights, so a state_dict is the same with or without it.

    The probability is float32 under any autocast: the logits are cast before the sigmoid. In bf16 a probability near
    1 has a resolution of 2**-8, so 64 probabilities near 0.999 collapse to about 2 values and BCE reads a third of
    its float32 value (tests/test_precision.py); in float32 the cast is a no-op."""

    def forward(self, *inputs):
        return torch.sigmoid(self.logits(*inputs).float())

    @property
    def feature_dim(self) -> int:
        """The width of the features D's last linear layer reads: what InfoGAN's Q head reads too
        (gan/models/information.py). Only for a D whose ``model`` ends in that layer and judges one sample at a time."""
        last = getattr(self, "model", None)
        last = last[-1] if isinstance(last, nn.Sequential) else None
        if not isinstance(last, nn.Linear) or getattr(self, "pack", 1) != 1:
            raise ConfigError(
                f"{type(self).__name__} does not hand its features to a Q head (model.info_weight): that needs "
                "a D whose network ends in one linear layer, judging one sample at a time (model.pack=1)"
            )
        return last.in_features

    def judged(self, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """D's logits [..., 1] and the features [..., feature_dim] its last linear layer reads them from, in one
        pass: InfoGAN's Q head reads the same features (``feature_dim`` says which Ds have them)."""
        batch_shape = inputs.shape[:-1]
        features = self.model[:-1](inputs.reshape(-1, inputs.shape[-1]))
        logits = self.model[-1](features)
        return logits.reshape(*batch_shape, 1), features.reshape(*batch_shape, -1)


def _mlp_critic(in_dim, hidden_dim, leaky_slope, layer_norm, minibatch_std, spectral_norm) -> nn.Sequential:
    """The walkthrough's D as logits: in_dim -> hidden_dim -> 1, the cures' switches applied (both MLP Ds)."""
    model = _mlp(in_dim, hidden_dim, 1, leaky_slope, layer_norm, minibatch_std, sigmoid=False)
    if spectral_norm:
        _spectral_norm(model)
    return model


class Discriminator(Critic):
    """image [..., channels * 784] -> probability that it is real [..., 1] (packed: [..., N / pack, 1])."""

    def __init__(
        self,
        image_dim=PIXELS,
        hidden_dim=200,
        leaky_slope=None,
        layer_norm=False,
        image_channels=1,
        pack=1,
        minibatch_std=False,
        spectral_norm=False,
    ):
        super().__init__()
        _check_positive(image_channels=image_channels, pack=pack)
        self.pack = pack
        self.model = _mlp_critic(image_channels * image_dim * pack, hidden_dim, leaky_slope, layer_norm, minibatch_std,
                                 spectral_norm)  # fmt: skip

    def logits(self, images):
        return self.model(pack_samples(images, self.pack))


class Generator(nn.Module):
    """noise z [..., latent_dim] -> image [..., channels * 784] in (0, 1)."""

    classes = None  # every generator says whether it is conditional: its number of digits, or None

    def __init__(
        self, latent_dim=1, hidden_dim=200, image_dim=PIXELS, leaky_slope=None, layer_norm=False, image_channels=1
    ):
        super().__init__()
        _check_positive(latent_dim=latent_dim, image_channels=image_channels)
        self.latent_dim = latent_dim
        self.model = _mlp(latent_dim, hidden_dim, image_channels * image_dim, leaky_slope, layer_norm)

    def forward(self, z):
        return self.model(z)


class ConditionalDiscriminator(Critic):
    """(image [..., 784], one-hot digit [..., 10]) -> probability that it is a real image of that digit [..., 1].

    The walkthrough's improved MLP on the concatenation, as the conditional GAN of the book it follows.
    Packed, each sample brings its digit along.
    """

    def __init__(
        self,
        image_dim=PIXELS,
        classes=10,
        hidden_dim=200,
        leaky_slope=0.02,
        layer_norm=True,
        image_channels=1,
        pack=1,
        minibatch_std=False,
        spectral_norm=False,
    ):
        super().__init__()
        _check_positive(image_channels=image_channels, pack=pack)
        self.classes, self.pack = classes, pack
        in_dim = (image_channels * image_dim + classes) * pack
        self.model = _mlp_critic(in_dim, hidden_dim, leaky_slope, layer_norm, minibatch_std, spectral_norm)

    def logits(self, images, labels):
        return self.model(pack_samples(torch.cat([images, labels], dim=-1), self.pack))


class ConditionalGenerator(nn.Module):
    """(noise z [..., latent_dim], one-hot digit [..., 10]) -> image of that digit [..., channels * 784]."""

    def __init__(
        self,
        latent_dim=100,
        classes=10,
        hidden_dim=200,
        image_dim=PIXELS,
        leaky_slope=0.02,
        layer_norm=True,
        image_channels=1,
    ):
        super().__init__()
        _check_positive(latent_dim=latent_dim, image_channels=image_channels)
        self.latent_dim, self.classes = latent_dim, classes
        self.model = _mlp(latent_dim + classes, hidden_dim, image_channels * image_dim, leaky_slope, layer_norm)

    def forward(self, z, labels):
        return self.model(torch.cat([z, labels], dim=-1))


class ConvDiscriminator(Critic):
    """A small DCGAN discriminator: image [..., image_channels * 784] -> probability real [..., 1].

    ``channels`` is the width of its first convolution; packed, the m samples enter as m * image_channels
    input channels. ``batch_norm=False`` drops its BatchNorm: a gradient penalty (R1, R2) asks for a D whose output
    for one sample does not depend on the rest of its batch. ``refine=k`` adds k 3x3 convolutions at 14x14 and k at
    7x7, as ``ConvGenerator``'s does (0: the DCGAN's two strided convolutions alone): depth for D, whose two layers
    otherwise judge a stroke from 4x4 and 10x10 windows.
    """

    def __init__(
        self,
        channels=32,
        leaky_slope=0.2,
        image_channels=1,
        pack=1,
        minibatch_std=False,
        spectral_norm=False,
        batch_norm=True,
        refine=0,
    ):
        super().__init__()
        _check_positive(channels=channels, image_channels=image_channels, pack=pack)
        COUNT.check("refine", refine)
        self.pack = pack
        features = 2 * channels * 7 * 7  # what the last convolution hands the linear layer

        def refined(width, norm):  # [N, w, s, s] -> [N, w, s, s]; new layers for each of the k
            def conv():
                return nn.Conv2d(width, width, 3, padding=1), *([nn.BatchNorm2d(width)] if norm else [])

            return [layer for _ in range(refine) for layer in (*conv(), nn.LeakyReLU(leaky_slope))]

        self.model = nn.Sequential(
            nn.Unflatten(-1, (pack * image_channels, 28, 28)),  # [N, m * k, 28, 28]
            nn.Conv2d(pack * image_channels, channels, 4, stride=2, padding=1),  # [N, c, 14, 14]
            nn.LeakyReLU(leaky_slope),
            *refined(channels, norm=False),  # the DCGAN has no BatchNorm after its first layer
            nn.Conv2d(channels, 2 * channels, 4, stride=2, padding=1),  # [N, 2c, 7, 7]
            *([nn.BatchNorm2d(2 * channels)] if batch_norm else []),
            nn.LeakyReLU(leaky_slope),
            *refined(2 * channels, norm=batch_norm),
            *([MinibatchStd()] if minibatch_std else []),  # [N, 2c + 1, 7, 7]
            nn.Flatten(),  # [N, (2c + 1) * 49]
            nn.Linear(features + 49 * int(minibatch_std), 1),  # [N, 1]: the logit (Critic's forward: the probability)
        )
        if spectral_norm:
            _spectral_norm(self.model)

    def logits(self, images):
        return image_logits(self.model, images, self.pack)


def image_logits(model: nn.Module, images: torch.Tensor, pack: int) -> torch.Tensor:
    """A convolutional D's logits [..., 1] for flat images [..., k * 784], packed in groups of ``pack``."""
    packed = pack_samples(images, pack)
    batch_shape = packed.shape[:-1]  # () for the walkthrough's unbatched images
    return model(packed.reshape(-1, packed.shape[-1])).reshape(*batch_shape, 1)


class ConvGenerator(nn.Module):
    """A small DCGAN generator: noise z [..., latent_dim] -> image [..., image_channels * 784] in (0, 1).

    ``batch_norm=False`` drops its BatchNorm layers, as R3GAN's networks have none: a sample then depends on its
    own noise only, never on the rest of its batch. ``refine=k`` adds k 3x3 convolutions at 7x7 and k at 14x14
    (0: the DCGAN's two transposed convolutions alone): depth for G where its strokes are drawn."""

    classes = None  # unconditional

    def __init__(self, latent_dim=100, channels=32, image_channels=1, batch_norm=True, refine=0):
        super().__init__()
        _check_positive(latent_dim=latent_dim, channels=channels, image_channels=image_channels)
        COUNT.check("refine", refine)
        self.latent_dim, self.image_dim = latent_dim, image_channels * PIXELS

        def norm_relu(width):
            return [*([nn.BatchNorm2d(width)] if batch_norm else []), nn.ReLU()]

        def refined(width):  # [N, w, s, s] -> [N, w, s, s]
            convs = [(nn.Conv2d(width, width, 3, padding=1), *norm_relu(width)) for _ in range(refine)]
            return [layer for conv in convs for layer in conv]

        self.model = nn.Sequential(
            nn.Linear(latent_dim, 2 * channels * 7 * 7),  # [N, 2c * 49]
            nn.Unflatten(1, (2 * channels, 7, 7)),  # [N, 2c, 7, 7]
            *norm_relu(2 * channels),
            *refined(2 * channels),
            nn.ConvTranspose2d(2 * channels, channels, 4, stride=2, padding=1),  # [N, c, 14, 14]
            *norm_relu(channels),
            *refined(channels),
            nn.ConvTranspose2d(channels, image_channels, 4, stride=2, padding=1),  # [N, k, 28, 28]
            nn.Sigmoid(),
            nn.Flatten(),  # [N, k * 784]
        )

    def forward(self, z):
        batch_shape = z.shape[:-1]
        return self.model(z.reshape(-1, self.latent_dim)).reshape(*batch_shape, self.image_dim)


class Maxout(nn.Module):
    """[..., in_dim] -> [..., units]: the largest of ``pieces`` linear functions, per unit (Goodfellow et al. 2013)."""

    def __init__(self, in_dim: int, units: int, pieces: int):
        super().__init__()
        _check_positive(in_dim=in_dim, units=units, pieces=pieces)
        self.units, self.pieces = units, pieces
        self.linear = nn.Linear(in_dim, units * pieces)

    def forward(self, x):
        return self.linear(x).unflatten(-1, (self.units, self.pieces)).amax(-1)


class PointDiscriminator(Critic):
    """PacGAN's 2D discriminator: point [..., 2] -> probability real [..., 1] (packed: [..., N / pack, 1]).

    ``layers`` maxout layers of ``units`` units with ``pieces`` pieces each, then a linear output: the logit."""

    def __init__(self, units=200, pieces=5, layers=3, point_dim=2, pack=1, minibatch_std=False, spectral_norm=False):
        super().__init__()
        _check_positive(units=units, pieces=pieces, layers=layers, point_dim=point_dim, pack=pack)
        self.pack = pack
        blocks = [Maxout(point_dim * pack if i == 0 else units, units, pieces) for i in range(layers)]
        if minibatch_std:
            blocks.append(MinibatchStd())
        self.model = nn.Sequential(*blocks, nn.Linear(units + int(minibatch_std), 1))
        if spectral_norm:
            _spectral_norm(self.model)

    def logits(self, points):
        return self.model(pack_samples(points, self.pack))


class PointGenerator(nn.Module):
    """PacGAN's 2D generator: noise z [..., latent_dim] -> point [..., 2].

    ``layers`` hidden layers of ``hidden_dim`` units, each Linear, BatchNorm, ReLU, then a linear output;
    ``batch_norm=False`` drops the BatchNorm (R3GAN's networks have none)."""

    classes = None  # unconditional

    def __init__(self, latent_dim=2, hidden_dim=400, layers=4, point_dim=2, batch_norm=True):
        super().__init__()
        _check_positive(latent_dim=latent_dim, hidden_dim=hidden_dim, layers=layers, point_dim=point_dim)
        self.latent_dim, self.point_dim = latent_dim, point_dim
        blocks = []
        for i in range(layers):
            blocks += [
                nn.Linear(latent_dim if i == 0 else hidden_dim, hidden_dim),
                *([nn.BatchNorm1d(hidden_dim)] if batch_norm else []),
                nn.ReLU(),
            ]
        self.model = nn.Sequential(*blocks, nn.Linear(hidden_dim, point_dim))

    def forward(self, z):
        batch_shape = z.shape[:-1]  # BatchNorm1d takes [N, F]: a lone vector is a batch of one
        return self.model(z.reshape(-1, self.latent_dim)).reshape(*batch_shape, self.point_dim)
