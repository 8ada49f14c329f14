"""Fidelity and diversity as separate numbers, from k-nearest-neighbour balls around feature vectors.

- Improved precision and recall (Kynkäänniemi et al., NeurIPS 2019), k = 3: precision is the share of generated
  samples that fall inside some real sample's ball (its radius: the distance to its k-th nearest real
  neighbour); recall is the share of real samples inside some generated sample's ball.
- Density and coverage (Naeem et al., ICML 2020), k = 5: density counts how many real balls hold each generated
  sample, divided by k and averaged (1 on average for a generator that matches the data; above 1 where samples
  crowd into dense regions); coverage is the share of real samples whose own ball holds at least one generated
  sample.

A collapsed generator keeps a high precision (its few samples look right) and loses recall and coverage.
Written here on plain torch: torch-fidelity's implementation reads images through its own feature extractors,
while this project measures the judge's features (images) and raw coordinates (2D mixtures).
Distances are computed in blocks, so 10,000 x 10,000 samples need a few tens of MB.
"""

import torch

BLOCK = 2048


def _kth_neighbour_radius(points: torch.Tensor, k: int) -> torch.Tensor:
    """[N]: each point's distance to its k-th nearest neighbour in ``points`` (itself excluded)."""
    radii = [torch.cdist(block, points).kthvalue(k + 1, dim=1).values for block in points.split(BLOCK)]
    return torch.cat(radii)


def _inside_counts(queries: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor) -> torch.Tensor:
    """[len(queries)]: how many of the balls (``centres``, ``radii``) hold each query point."""
    return torch.cat([(torch.cdist(block, centres) <= radii).sum(1) for block in queries.split(BLOCK)])


def precision_recall(real: torch.Tensor, fake: torch.Tensor, k: int = 3) -> dict[str, float]:
    """Improved precision and recall of ``fake`` [M, F] against ``real`` [N, F]."""
    return ManifoldMetrics(real, k_precision=k)(fake, k_precision=k, density=False)


def density_coverage(real: torch.Tensor, fake: torch.Tensor, k: int = 5) -> dict[str, float]:
    """Density and coverage of ``fake`` [M, F] against ``real`` [N, F]."""
    return ManifoldMetrics(real, k_density=k)(fake, k_density=k, precision=False)


class ManifoldMetrics:
    """Precision, recall (k = 3), density and coverage (k = 5) against a fixed ``real`` set [N, F], whose balls are
    computed once. At most ``limit`` generated samples are measured (the first ones: never a choice among them),
    which bounds the generated set's own k-NN pass."""

    def __init__(self, real: torch.Tensor, k_precision: int = 3, k_density: int = 5, limit: int = 10_000):
        self.real = real.float()
        self.k_precision, self.k_density, self.limit = k_precision, k_density, limit
        self._radii = {}

    def to(self, device):
        self.real = self.real.to(device)
        self._radii = {k: r.to(device) for k, r in self._radii.items()}
        return self

    def _real_radii(self, k: int) -> torch.Tensor:
        if k not in self._radii:
            self._radii[k] = _kth_neighbour_radius(self.real, k)
        return self._radii[k]

    @torch.no_grad()
    def __call__(self, fake: torch.Tensor, k_precision=None, k_density=None, precision=True, density=True):
        fake = fake[: self.limit].float().to(self.real.device)
        values = {}
        if precision:
            k = k_precision or self.k_precision
            inside = _inside_counts(fake, self.real, self._real_radii(k)) > 0
            covered = _inside_counts(self.real, fake, _kth_neighbour_radius(fake, k)) > 0
            values |= {"precision": inside.double().mean().item(), "recall": covered.double().mean().item()}
        if density:
            k = k_density or self.k_density
            radii = self._real_radii(k)
            counts = _inside_counts(fake, self.real, radii)
            nearest_fake = torch.cat([torch.cdist(block, fake).min(1).values for block in self.real.split(BLOCK)])
            values |= {
                "density": counts.double().mean().item() / k,
                "coverage": (nearest_fake <= radii).double().mean().item(),
            }
        return values
