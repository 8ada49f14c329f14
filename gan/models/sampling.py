"""Samples from a GAN: the one path from noise to pictures (noise -> truncation -> generator -> DRS), taken by the
training panels, the metrics, ``gan.api.Run`` and the scripts. Three ways in: integer seeds (``draw_seeds``), a count
of fresh vectors (``draw_fresh``), vectors given (``draw_noise``); DRS wraps the first two (``draw_seeds_kept``,
``draw_fresh_kept``). All draw in eval mode, from the GAN's ``sampler`` (G, or its moving average).

A picture is named by integer seeds: seed ``s`` is ``noise(latent_dim, generator=torch.Generator().manual_seed(s))``,
drawn on the CPU, so the same seed gives the same image in every command and on every device.
"""

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

import torch

from gan.errors import ConfigError
from gan.models.sampling_cures import RejectionSampler, truncate

BATCH = 1000  # a count of fresh samples (the metrics) goes through G this many at a time
DRS_SEED_START = 1_000_000  # DRS over given seeds: its burn-in draws seeds from here on, apart from the ones shown
DRS_SEED_BLOCK = 64  # ... and judges the given seeds this many groups (of D's pack) at a time


def one_hot(digits, classes: int, dtype=torch.float32) -> torch.Tensor:
    """A conditional network's digit input: [..., classes], 1 at each digit. Built here only."""
    return torch.nn.functional.one_hot(torch.as_tensor(digits), classes).to(dtype)


def digits_in_turn(count: int, classes: int) -> torch.Tensor:
    """A conditional GAN asked for ``count`` samples draws the digits in turn: 0, 1, ..., classes - 1, 0, 1, ..."""
    return torch.arange(count) % classes


def noise_vectors(noise, latent_dim: int, seeds) -> torch.Tensor:
    """[len(seeds), latent_dim]: the noise vector each integer seed names."""
    return torch.stack([noise(latent_dim, generator=torch.Generator().manual_seed(s)) for s in seeds])


@torch.no_grad()
def render(generator, noise: torch.Tensor, digits: torch.Tensor | None = None, batch_size: int = 1) -> torch.Tensor:
    """Samples [N, channels * 784] (or [N, 2] points) for ``noise`` [N, latent_dim] (and a conditional generator's
    ``digits`` [N, classes], one-hot or mixed), on the generator's device.

    Always in eval mode: BatchNorm (model=dcgan) uses its running statistics and does not update them, so
    drawing pictures or metrics never changes training. The generator's mode is restored afterwards.
    ``batch_size=1`` (one forward pass per vector, on one CPU thread) makes a seed's image the same in every
    command: a product can round differently for another batch size or another thread count.
    """
    device = next(generator.parameters()).device
    was_training, threads = generator.training, torch.get_num_threads()
    generator.eval()
    if batch_size == 1:
        torch.set_num_threads(1)
    try:
        batches = noise.split(batch_size)
        if digits is None:
            return torch.cat([generator(z.to(device)) for z in batches])
        pairs = zip(batches, digits.split(batch_size), strict=True)
        return torch.cat([generator(z.to(device), y.to(device)) for z, y in pairs])
    finally:
        generator.train(was_training)
        torch.set_num_threads(threads)


@dataclass
class Drawn:
    """What each ``draw_*`` returns: the samples, the digit each was asked for (a conditional GAN; else None), and the
    integer seeds that name them (None for fresh noise or given vectors)."""

    samples: torch.Tensor  # [N, channels * 784] images in [0, 1], or [N, 2] points of a 2D mixture
    digits: torch.Tensor | None
    seeds: list[int] | None
    noise: torch.Tensor | None  # the vectors given to G, after truncation (None when DRS drew fresh ones)


def draw_seeds(gan, seeds: Iterable[int], digits=None, truncation: float | None = None, batch_size=None) -> Drawn:
    """The samples of integer ``seeds``, each naming its vector (``noise_vectors``): the panel's and the scripts'
    pictures. ``batch_size`` None: a 2D picture's points all at once, images one at a time, so that a seed gives the
    same image in every command."""
    seeds = list(seeds)
    return _drawn(gan, _truncated(gan, noise_vectors(gan.noise, gan.latent_dim, seeds), truncation), digits, seeds,
                  batch_size)  # fmt: skip


def draw_fresh(gan, count: int, noise_seed: int = 0, truncation: float | None = None, batch_size=None) -> Drawn:
    """``count`` fresh samples from one random generator seeded with ``noise_seed``: the metrics' samples, drawn
    ``BATCH`` at a time (a conditional GAN's digits in turn)."""
    z = gan.noise(count, gan.latent_dim, generator=torch.Generator().manual_seed(noise_seed))
    return _drawn(gan, _truncated(gan, z, truncation), None, None, batch_size or BATCH)


def draw_noise(gan, noise: torch.Tensor, digits=None, truncation: float | None = None, batch_size=None) -> Drawn:
    """The samples of the vectors ``noise`` given, e.g. a path between two seeds or seed arithmetic."""
    return _drawn(gan, _truncated(gan, noise, truncation), digits, None, batch_size)


def draw_fresh_kept(gan, count: int, drs: RejectionSampler, noise_seed: int = 0, truncation=None, batch_size=None):
    """``count`` fresh samples that the GAN's own D accepts (discriminator rejection sampling): the metrics' DRS."""
    _check_drs(gan)
    random = torch.Generator().manual_seed(noise_seed)

    def proposals(n: int) -> torch.Tensor:
        z = _truncated(gan, gan.noise(n, gan.latent_dim, generator=random), truncation)
        return render(gan.sampler, z, None, batch_size or BATCH)

    return Drawn(drs.draw(proposals, count), None, None, None)


def draw_seeds_kept(gan, seeds: Iterable[int], count: int, drs: RejectionSampler, truncation=None, batch_size=None):
    """The first ``count`` of ``seeds`` (possibly endless, e.g. ``itertools.count()``) whose samples D accepts."""
    _check_drs(gan)

    def pictures(chosen) -> torch.Tensor:
        return draw_seeds(gan, chosen, truncation=truncation, batch_size=batch_size).samples

    drs.warm_up(lambda n: pictures(range(DRS_SEED_START, DRS_SEED_START + n)))
    candidates, kept, tried = iter(seeds), [], 0
    while len(kept) < count:
        block = list(itertools.islice(candidates, DRS_SEED_BLOCK * drs.pack))
        if not block or tried > 100 * count:
            raise ConfigError(f"DRS kept {len(kept)} of the first {tried} seeds: lower the DRS percentile")
        kept += [s for s, keep in zip(block, drs.accept(pictures(block)).tolist(), strict=True) if keep]
        tried += len(block)
    return draw_seeds(gan, kept[:count], truncation=truncation, batch_size=batch_size)


def _check_drs(gan) -> None:
    if gan.classes is not None:
        raise ConfigError("DRS needs an unconditional GAN: a conditional D judges a sample with its digit")


def _truncated(gan, z: torch.Tensor, truncation: float | None) -> torch.Tensor:
    if truncation is None:
        return z
    if gan.noise.centre is None:
        raise ConfigError(f"truncation={truncation}: {gan.noise} has no centre to pull its noise towards")
    return truncate(z, truncation, gan.noise.centre)


def _drawn(gan, z: torch.Tensor, digits, seeds, batch_size) -> Drawn:
    """``Drawn`` for the vectors ``z`` (and a conditional GAN's ``digits``: integers or rows [N, classes], one-hot or
    mixed; None: in turn)."""
    if gan.classes is None:
        points = getattr(gan, "draws_points", False)
        return Drawn(render(gan.sampler, z, None, batch_size or (len(z) if points else 1)), None, seeds, z)
    wanted = digits_in_turn(len(z), gan.classes) if digits is None else torch.as_tensor(digits)
    rows = wanted.to(z.dtype) if wanted.ndim == 2 else one_hot(wanted, gan.classes, z.dtype)
    samples = render(gan.sampler, z, rows, batch_size or 1)
    return Drawn(samples, None if wanted.ndim == 2 else wanted.to(samples.device), seeds, z)
