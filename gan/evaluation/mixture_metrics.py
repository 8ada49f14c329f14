"""PacGAN's protocol on a 2D mixture (gan/data/mixtures.py): a sample is *high quality* when it lies within 3
standard deviations of its nearest mean; a mode is *captured* when at least one high-quality sample lands on it,
over 2,500 samples."""

import math

import torch

from gan.data.mixtures import METRIC_SAMPLES, GaussianMixture
from gan.evaluation.manifold import ManifoldMetrics
from gan.evaluation.metrics import mode_counts

HIGH_QUALITY_STDS = 3  # a sample within this many standard deviations of its nearest mean is high quality


class MixtureMetrics:
    """PacGAN's numbers for samples of a 2D mixture, and fidelity and diversity apart:

    - ``modes``: modes captured (of ``possible_modes``), ``high_quality``: the share of high-quality samples;
    - ``kl``: KL(the high-quality samples' mode histogram || uniform), in nats (ln K when none is high quality);
    - ``precision``/``recall`` (k=3) and ``density``/``coverage`` (k=5) against as many fresh real points, on the
      raw coordinates.
    """

    REFERENCE_SEED = 2**31 - 1  # the real reference set: never the training set's seed

    def __init__(self, mixture: GaussianMixture, name: str = "mixture", reference: int = METRIC_SAMPLES):
        self.mixture = mixture
        self.manifold = ManifoldMetrics(mixture.sample(reference, self.REFERENCE_SEED)[0])
        self.about = {"dataset": name, "judge": "the mixture's own means (no judge)"}

    def to(self, device):
        self.manifold.to(device)
        return self

    @torch.no_grad()
    def __call__(self, points: torch.Tensor, digits=None) -> dict[str, float]:
        points = points.reshape(len(points), 2).float()
        mode, distance = self.mixture.nearest(points)
        good = distance <= HIGH_QUALITY_STDS * self.mixture.std
        possible = len(self.mixture.means)
        captured = mode_counts(mode[good], possible) if good.any() else {"modes_covered": 0, "kl": math.log(possible)}
        return {
            "modes": captured["modes_covered"],
            "possible_modes": possible,
            "kl": captured["kl"],
            "high_quality": good.double().mean().item(),
            **self.manifold(points),
        }
