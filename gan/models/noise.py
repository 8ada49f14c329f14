"""The generator's input noise. ``noise(*shape, generator=None, device=None)`` -> a tensor of that shape; an integer
seed names one vector of it (gan/models/sampling.py).

Plain classes rather than Hydra partials of ``torch.rand``: they are called three times per update, and a
Hydra partial re-checks its target on every call, which costs more than the draw at batch size 1.
"""

import torch


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
