"""InfoGAN's mutual-information term (Chen et al. 2016) for ``noise=coded`` (``model.info_weight``).

``noise=coded`` gives G a discrete code it may use as it likes; alone it tied on MNIST (docs/log.md). InfoGAN
makes G use it: a linear head Q on D's features predicts, from a fake, which code drew it, and G and Q both minimise
the cross-entropy of that prediction (the variational lower bound of the mutual information between code and image,
up to the code's constant entropy). A G that wants Q to read its code back must draw each code as a shape of its
own, so it jumps between shapes with the code instead of passing through in-between ones.

As in InfoGAN's code, Q shares D's layers and is trained with D (its weights are in D's optimizer: the cross-entropy
is added to D's step on the fakes D judges there), and G's step adds the same term on its own fakes.
"""

import torch
from torch import nn
from torch.nn import functional

from gan.errors import ConfigError
from gan.rules import POSITIVE_NUMBER


class CodeInformation(nn.Module):
    """Q: D's features [..., feature_dim] -> logits of the code [..., codes]; ``loss`` is ``weight`` times the
    cross-entropy against the codes that drew the fakes (InfoGAN's lambda; 1 in its MNIST runs)."""

    def __init__(self, feature_dim: int, codes: int, weight: float = 1.0):
        super().__init__()
        POSITIVE_NUMBER.check("model.info_weight", weight)
        self.weight = float(weight)
        self.head = nn.Linear(feature_dim, codes)

    def loss(self, features: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        logits = self.head(features).reshape(-1, self.head.out_features)
        return self.weight * functional.cross_entropy(logits.float(), codes.reshape(-1))

    @staticmethod
    def for_networks(weight: float | None, discriminator, noise, classes, on_logits: bool):
        """The term for ``model.info_weight=weight`` (None: none), after checking the run can carry one."""
        if weight is None:
            return None
        refuse_unless_possible(weight, type(noise), on_logits, classes is not None, getattr(discriminator, "pack", 1))
        return CodeInformation(discriminator.feature_dim, noise.codes, weight)


def refuse_unless_possible(weight: float, noise_class: type, on_logits: bool, conditional: bool, pack: int) -> None:
    """A ConfigError naming ``model.info_weight`` unless the run can carry InfoGAN's term: a coded noise to read back,
    the update on D's logits, an unconditional G, a D that judges one sample at a time. The constructor checks it for
    plain Python use, and gan/training/config_checks.py before any work."""
    needs = None
    if not hasattr(noise_class, "code_of"):
        needs = f"noise=coded (a code for Q to read back), not {noise_class.__name__}"
    elif not on_logits:
        needs = "a loss on D's logits (loss=rpgan, nonsaturating, hinge or wgan)"
    elif conditional:
        needs = "an unconditional G: a conditional one is told its digit already"
    elif pack != 1:
        needs = "an unpacked D (model.pack=1): Q reads one sample's features"
    if needs:
        raise ConfigError(f"model.info_weight={weight} (InfoGAN's term) needs {needs}")
