"""Cures at sampling time: they change which samples are drawn from a trained GAN, never its weights, and use
only the GAN's own networks (never the judge, which only scores).

- **Truncation** (the "truncation trick" of BigGAN, Brock et al. 2019): each noise vector is pulled towards the
  noise's centre by ``psi`` (1: no change). Samples from the dense middle of the noise look cleaner, at the cost of
  variety: precision up, recall down.
- **Discriminator rejection sampling** (DRS; Azadi et al., ICLR 2019): each sample is kept with a probability
  computed from D's logit, so the kept samples follow G's distribution reweighted towards what D finds real:
  ``F(x) = D̃(x) - D̃_M - log(1 - exp(D̃(x) - D̃_M - ε)) - γ`` and ``p(x) = sigmoid(F(x))``, where D̃ is D's logit,
  D̃_M the largest logit seen (from a burn-in of 10,000 samples, updated as sampling goes on) and γ shifts the
  acceptance: here, as in the paper, a percentile of F over each batch of proposals.
"""

from collections.abc import Callable

import torch

from gan.errors import ConfigError
from gan.rules import TRUNCATION


def truncate(z: torch.Tensor, psi: float, centre: float = 0.0) -> torch.Tensor:
    """Noise pulled towards ``centre`` (0 for Gaussian noise, 0.5 for uniform): ``centre + psi (z - centre)``."""
    TRUNCATION.check("truncation", psi)
    return centre + psi * (z - centre)


class RejectionSampler:
    """DRS with a trained discriminator (in eval mode). A packed D (PacGAN) judges ``pack`` consecutive samples at
    once, so they are kept or dropped together. Acceptance draws come from a generator of its own (``seed``)."""

    def __init__(
        self,
        discriminator: torch.nn.Module,
        pack: int | None = None,  # None: the discriminator's own (PacGAN's ``pack``, else 1)
        percentile: float = 80.0,
        burn_in: int = 10_000,
        epsilon: float = 1e-6,
        seed: int = 0,
        max_proposals: int = 100,  # x the samples asked for: a D that accepts almost nothing stops with an error
    ):
        if not 0 <= percentile <= 100:
            raise ConfigError(f"the DRS percentile must be in 0 .. 100, got {percentile}")
        self.discriminator = discriminator
        self.pack = getattr(discriminator, "pack", 1) if pack is None else pack
        self.percentile, self.burn_in, self.epsilon = percentile, burn_in, epsilon
        self.max_proposals = max_proposals
        self.random = torch.Generator().manual_seed(seed)
        self.max_logit: float | None = None
        self.proposed = self.accepted = 0

    @torch.no_grad()
    def logits(self, samples: torch.Tensor) -> torch.Tensor:
        """D's logit per group of ``pack`` samples [N / pack]."""
        was_training = self.discriminator.training
        self.discriminator.eval()
        try:  # D's own logit (gan.models.nets.Critic), not one recovered from its probability, which saturates
            return self.discriminator.logits(samples).reshape(-1).double()
        finally:
            self.discriminator.train(was_training)

    def accept(self, samples: torch.Tensor) -> torch.Tensor:
        """Which of ``samples`` [N, F] DRS keeps: a mask [N]."""
        logits = self.logits(samples)
        self.max_logit = max(self.max_logit if self.max_logit is not None else -float("inf"), logits.max().item())
        shifted = logits - self.max_logit
        scores = shifted - torch.log1p(-torch.exp(shifted - self.epsilon))
        gamma = torch.quantile(scores, self.percentile / 100)
        keep = torch.rand(len(scores), generator=self.random, dtype=torch.float64) < torch.sigmoid(scores - gamma)
        return keep.to(samples.device).repeat_interleave(self.pack)

    def warm_up(self, propose: Callable[[int], torch.Tensor]) -> None:
        """The burn-in: an estimate of the largest logit (D̃_M) from ``burn_in`` proposals, before anything is kept."""
        if self.max_logit is None:
            self.max_logit = self.logits(propose(-(-self.burn_in // self.pack) * self.pack)).max().item()

    def draw(self, propose: Callable[[int], torch.Tensor], count: int, batch: int = 1000) -> torch.Tensor:
        """``count`` kept samples from ``propose(n)`` (n fresh samples [n, F], n a multiple of ``pack``)."""
        batch = max(self.pack, batch // self.pack * self.pack)
        self.warm_up(propose)
        kept, total = [], 0
        while total < count:
            if self.proposed >= self.max_proposals * count:
                raise ConfigError(
                    f"DRS kept {self.accepted} of {self.proposed:,} samples, fewer than the {count:,} asked for: "
                    "lower the percentile (more are kept)"
                )
            samples = propose(batch)
            mask = self.accept(samples)
            kept.append(samples[mask])
            total += int(mask.sum())
            self.proposed += len(samples)
            self.accepted += int(mask.sum())
        return torch.cat(kept)[:count]

    @property
    def acceptance(self) -> float:
        return self.accepted / max(self.proposed, 1)
