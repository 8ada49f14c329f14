"""``Run``'s pictures by seed: the panel, chosen seeds, a conditional run's digits, DRS with the run's own D."""

import itertools
from collections.abc import Iterable

from gan.api.samples import Samples
from gan.errors import ConfigError
from gan.rules import MAX_SEEDS, NOISE_SEED


class Drawing:
    """What ``Run`` draws by seed (``module``, ``folder`` and ``_data`` are the run's)."""

    def samples(
        self,
        seeds: Iterable[int] | None = None,
        cols: int | None = None,
        truncation: float | None = None,
        digits=None,
        drs: bool = False,
        drs_percentile: float = 80.0,
    ) -> Samples:
        """The images of integer ``seeds`` (the training panel's and ``generate.py``'s), ``cols`` to a row; by
        default seeds 0 .. 5, the walkthrough's 2x3 panel.

        >>> run.samples(range(6))           # the walkthrough's 2x3 panel
        >>> run.samples([7, 8, 9], cols=3)  # three chosen seeds
        >>> run.samples(range(10), digits=7)  # a conditional run: ten 7s (or digits="Bag", or one per seed)
        ``truncation``: psi, the noise pulled towards its centre. ``drs``: the first ``len(seeds)`` seeds of
        0, 1, 2, ... whose images the run's own D keeps (discriminator rejection sampling), in place of ``seeds``.
        A 2D run returns the points of ``seeds`` (by default 0 .. 2,499, the training panel's) as a scatter over
        the mode centres; with ``drs``, that many fresh points that D keeps."""
        from gan.data.pictures import SCATTER_POINTS
        from gan.models.sampling import draw_fresh_kept, draw_seeds, draw_seeds_kept

        gan, cure = self.module, self._drs(drs, drs_percentile)
        if seeds is None:
            seeds = range(SCATTER_POINTS if gan.draws_points else 6)
        seeds = bounded_seeds(seeds)
        if gan.draws_points:
            if cure is not None:  # fresh proposals, as the metrics draw them
                drawn = draw_fresh_kept(gan, len(seeds), cure, truncation=truncation)
            else:
                drawn = draw_seeds(gan, seeds, truncation=truncation)
            return Samples(drawn.samples, drawn.seeds, 1, 1, means=self._data().mixture.means, noise=drawn.noise)
        if cure is not None:
            drawn = draw_seeds_kept(gan, itertools.count(), len(seeds), cure, truncation=truncation)
        else:
            drawn = draw_seeds(gan, seeds, self._digits(digits, len(seeds)), truncation)
        cols = cols or min(len(seeds), 3 if len(seeds) == 6 else 8)  # six: the walkthrough's 2x3
        return Samples(drawn.samples, drawn.seeds, -(-len(seeds) // cols), cols, noise=drawn.noise, digits=drawn.digits)

    def _digits(self, digits, count: int) -> list[int] | None:
        """A conditional run's digits for ``count`` images: None (in turn), one class for all (7 or "Bag"), or
        one per image; each by index or name."""
        if digits is None:
            return None
        if self.module.classes is None:
            raise ConfigError(f"{self.folder} is not a conditional run (model=conditional): it takes no digit")
        from gan.evaluation.explore import class_index

        wanted = [digits] * count if isinstance(digits, int | str) else list(digits)
        if len(wanted) != count:
            raise ConfigError(f"{len(wanted)} digits for {count} images")
        return [class_index(str(d), self.class_names) for d in wanted]

    def _drs(self, wanted: bool, percentile: float, seed: int = 0):
        """A fresh ``RejectionSampler`` over the run's own D when ``wanted``: the cure uses the GAN, never the judge."""
        if not wanted:
            return None
        from gan.models.sampling_cures import RejectionSampler

        return RejectionSampler(self.module.discriminator, percentile=percentile, seed=seed)


def bounded_seeds(seeds: Iterable[int]) -> list[int]:
    """``seeds`` as a list, refused past ``MAX_SEEDS`` before any is drawn (``range(10**7)`` never materialises)."""
    if hasattr(seeds, "__len__") and len(seeds) > MAX_SEEDS:
        raise ConfigError(f"{len(seeds):,} seeds: one picture draws at most {MAX_SEEDS:,}")
    seeds = list(itertools.islice(seeds, MAX_SEEDS + 1))
    if len(seeds) > MAX_SEEDS:
        raise ConfigError(f"more than {MAX_SEEDS:,} seeds: one picture draws at most {MAX_SEEDS:,}")
    for seed in seeds:
        NOISE_SEED.check("seed", seed)
    return seeds
