"""``Run``'s explorations of the noise: the walkthrough's interpolation and seed arithmetic, a conditional run's
digit path, and an export of many samples for other tools."""

from pathlib import Path

from gan.api.drawing import bounded_seeds
from gan.api.samples import Samples
from gan.errors import ConfigError
from gan.rules import MAX_EXPORT, MAX_STEPS


class Exploring:
    """What ``Run`` draws along paths and sums of seeds (``module``, ``folder`` and ``_digits`` are the run's)."""

    def interpolate(
        self, a: int, b: int, steps: int = 12, spherical: bool = False, digit=None, truncation: float | None = None
    ) -> Samples:
        """Seed ``a`` to seed ``b`` in ``steps`` images (the walkthrough's interpolation); ``spherical`` (slerp)
        for Gaussian noise; a conditional run draws the whole path as ``digit`` (default 0).

        >>> run.interpolate(3, 8)"""
        from gan.evaluation.explore import interpolate
        from gan.models.sampling import noise_vectors

        check_steps(steps)
        a, b = bounded_seeds([a, b])
        z = interpolate(*noise_vectors(self.module.noise, self.module.latent_dim, [a, b]), steps, spherical)
        return self._picture(z, [a, b], self._one_digit(digit, steps), truncation)

    def arithmetic(self, a: int, b: int, digit=None, truncation: float | None = None) -> Samples:
        """The walkthrough's seed arithmetic: seeds ``a``, ``b``, ``a + b`` and ``a - b`` side by side.

        >>> run.arithmetic(3, 8)"""
        from gan.evaluation.explore import arithmetic
        from gan.models.sampling import noise_vectors

        a, b = bounded_seeds([a, b])
        z, labels = arithmetic(*noise_vectors(self.module.noise, self.module.latent_dim, [a, b]))
        return self._picture(z, [a, b], self._one_digit(digit, len(z)), truncation, labels)

    def interpolate_digits(self, seed: int, a, b, steps: int = 12, truncation: float | None = None) -> Samples:
        """A conditional run: one seed, its digit input moved from class ``a`` to class ``b`` in ``steps`` images.

        >>> run.interpolate_digits(5, 1, 7)"""
        from gan.evaluation.explore import interpolate
        from gan.models.sampling import noise_vectors, one_hot

        check_steps(steps)
        (seed,) = bounded_seeds([seed])
        (first,), (last,) = self._digits(a, 1), self._digits(b, 1)
        rows = interpolate(one_hot(first, self.module.classes), one_hot(last, self.module.classes), steps)
        z = noise_vectors(self.module.noise, self.module.latent_dim, [seed]).repeat(steps, 1)
        return self._picture(z, [seed], rows, truncation)

    def export(self, out=None, count: int = 10_000, fmt: str = "png", truncation: float | None = None) -> Path:
        """Seeds 0 .. ``count`` - 1, drawn as ``samples`` draws them, as a folder of PNG files or one .npz, for
        torch-fidelity or clean-fid; ``out`` defaults to RUN/export-<fmt>.

        >>> run.export("exported", count=100)"""
        from gan.evaluation.export import export_images
        from gan.models.sampling import draw_seeds

        if not (isinstance(count, int) and 1 <= count <= MAX_EXPORT):
            raise ConfigError(f"count={count}: must be an integer in 1 .. {MAX_EXPORT:,}")
        if self.module.draws_points:
            raise ConfigError(f"{self.folder} is a 2D run: its samples are points, not images to export")
        drawn = draw_seeds(self.module, range(count), truncation=truncation)
        return export_images(drawn.samples, out or self.folder / f"export-{fmt}", fmt)

    def _picture(self, z, seeds, digits, truncation, labels=None) -> Samples:
        """One row of images for the vectors ``z`` (a path or arithmetic on ``seeds``)."""
        from gan.models.sampling import draw_noise

        drawn = draw_noise(self.module, z, digits, truncation)
        return Samples(drawn.samples, seeds, 1, len(z), labels=labels, noise=drawn.noise, digits=digits)

    def _one_digit(self, digit, count: int) -> list[int] | None:
        """A seed path is drawn as one digit: ``digit``, else 0 (an unconditional run: none)."""
        if self.module.classes is None and digit is None:
            return None
        return self._digits(0 if digit is None else digit, count)


def check_steps(steps) -> None:
    """An interpolation's image count: both ends, at most ``MAX_STEPS`` in one strip."""
    if not (isinstance(steps, int) and 2 <= steps <= MAX_STEPS):
        raise ConfigError(f"steps={steps}: must be an integer in 2 .. {MAX_STEPS}")
