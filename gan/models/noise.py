"""The generator's input noise. ``noise(*shape, generator=None, device=None)`` -> a tensor of that shape; an integer
seed names one vector of it (gan/models/sampling.py).

Plain classes rather than Hydra partials of ``torch.rand``: they are called three times per update, and a
Hydra partial re-checks its target on every call, which costs more than the draw at batch size 1.
"""

import torch

from gan.errors import ConfigError
from gan.rules import POSITIVE_INT, POSITIVE_NUMBER


class Uniform:
    """U[0, 1) from ``torch.rand``: the walkthrough's ``generate_random``."""

    centre = 0.5  # where truncation pulls the noise (gan.models.sampling_cures.truncate)

    def __call__(self, *shape, generator=None, device=None):
        return torch.rand(*shape, generator=generator, device=device)


class Gaussian:
    """N(0, 1) from ``torch.randn``: the walkthrough's cure for mode collapse."""

    centre = 0.0

    def __call__(self, *shape, generator=None, device=None):
        return torch.randn(*shape, generator=generator, device=device)


class CodedGaussian:
    """N(0, 1) whose first ``codes`` values are replaced by a one-hot code drawn uniformly (times ``scale``): a
    discrete choice G may use as it likes, with no label behind it (InfoGAN's categorical code, Chen et al. 2016;
    ``model.info_weight`` adds InfoGAN's mutual-information term, gan/models/information.py).

    Why: ten digits are ten separate shapes, and a G fed only continuous noise must pass through in-between shapes
    (a 4 turning into a 9) on its way from one to the next; those are the samples no reader can name. G's first
    linear layer turns each code into an offset of its own, so the noise it sees becomes a mixture of ``codes``
    Gaussians whose means G learns (DeLiGAN's prior, Gurumurthy et al. 2017), and G can jump from one to another.
    Truncation is refused: pulling the code towards a centre would make it a blend of codes."""

    centre = None  # no single centre: gan.models.sampling refuses truncation

    def __init__(self, codes: int = 10, scale: float = 1.0):
        POSITIVE_INT.check("noise.codes", codes)
        POSITIVE_NUMBER.check("noise.scale", scale)
        self.codes, self.scale = codes, float(scale)

    def __call__(self, *shape, generator=None, device=None):
        if shape[-1] <= self.codes:
            raise ConfigError(
                f"noise.codes={self.codes} needs more noise values than that: model.latent_dim is {shape[-1]} "
                f"(the code takes the first {self.codes}; the rest stay Gaussian)"
            )
        z = torch.randn(*shape, generator=generator, device=device)
        code = torch.randint(self.codes, shape[:-1], generator=generator, device=device)
        z[..., : self.codes] = torch.nn.functional.one_hot(code, self.codes).to(z.dtype) * self.scale
        return z

    def code_of(self, z: torch.Tensor) -> torch.Tensor:
        """The code [...] each noise vector z [..., latent_dim] carries (InfoGAN's term reads it back)."""
        return z[..., : self.codes].argmax(-1)

    def __repr__(self) -> str:
        return f"CodedGaussian(codes={self.codes}, scale={self.scale:g})"
