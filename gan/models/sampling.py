"""Samples from a GAN: the one path from noise to pictures (noise -> truncation -> generator -> DRS), taken by the
training panels, the metrics, ``gan.api.Run`` and the scripts (``draw``).

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
    """What ``draw`` returns: the samples, the digit each was asked for (a conditional GAN; else None), and the
    integer seeds that name them (None for fresh noise or given vectors)."""

    samples: torch.Tensor  # [N, channels * 784] images in [0, 1], or [N, 2] points of a 2D mixture
    digits: torch.Tensor | None
    seeds: list[int] | None
    noise: torch.Tensor | None  # the vectors given to G, after truncation (None when DRS drew fresh ones)


def draw(
    gan,
    seeds: Iterable[int] | None = None,
    *,
    count: int | None = None,
    seed: int = 0,
    noise: torch.Tensor | None = None,
    digits=None,
    truncation: float | None = None,
    drs: RejectionSampler | None = None,
    batch_size: int | None = None,
) -> Drawn:
    """Samples of ``gan`` (a ``GAN``: its ``sampler``, ``noise``, ``latent_dim``, ``classes``), in eval mode.

    The noise, one of three:
    - ``seeds``: integer seeds, each naming its vector (``noise_vectors``): the panel's and the scripts' pictures;
    - ``count`` fresh vectors from one random generator seeded with ``seed``: the metrics' samples;
    - ``noise``: vectors given, e.g. a path between two seeds.
    ``digits``: a conditional GAN's, as integers or rows [N, classes] (one-hot or mixed); None: in turn.
    ``truncation``: psi, each vector pulled towards the noise's centre. ``drs``: keep what the GAN's own D accepts;
    with ``count``, fresh proposals until ``count`` are kept; with ``seeds`` (possibly endless, e.g.
    ``itertools.count()``), the first ``count`` seeds it keeps.
    ``batch_size``: None draws fresh samples ``BATCH`` at a time, a 2D picture's points all at once, and anything
    else one vector at a time, so that a seed gives the same image in every command.
    """
    if sum(source is not None for source in (seeds, noise)) + (count is not None and seeds is None) != 1:
        raise ValueError("draw: give one of seeds, count or noise")
    if drs is not None and gan.classes is not None:
        raise ConfigError("DRS needs an unconditional GAN: a conditional D judges a sample with its digit")
    if drs is not None and noise is not None:
        raise ValueError("draw: DRS chooses among seeds or fresh noise, not among given vectors")
    points = getattr(gan, "draws_points", False)

    def vectors(chosen=None, n=None, random=None) -> torch.Tensor:
        z = (
            noise_vectors(gan.noise, gan.latent_dim, chosen)
            if chosen is not None
            else gan.noise(n, gan.latent_dim, generator=random)
        )
        return z if truncation is None else truncate(z, truncation, gan.noise.centre)

    def generate(z: torch.Tensor, size: int | None) -> torch.Tensor:
        return render(gan.sampler, z, None, size or (len(z) if points else 1))

    if drs is not None and seeds is None:  # fresh proposals: the metrics' DRS
        random = torch.Generator().manual_seed(seed)
        return Drawn(
            drs.draw(lambda n: generate(vectors(n=n, random=random), batch_size or BATCH), count), None, None, None
        )
    if drs is not None:  # the first `count` of the given seeds that D accepts
        drs.warm_up(lambda n: generate(vectors(range(DRS_SEED_START, DRS_SEED_START + n)), batch_size))
        candidates, kept, tried = iter(seeds), [], 0
        while len(kept) < count:
            block = list(itertools.islice(candidates, DRS_SEED_BLOCK * drs.pack))
            if not block or tried > 100 * count:
                raise ConfigError(f"DRS kept {len(kept)} of the first {tried} seeds: lower the DRS percentile")
            mask = drs.accept(generate(vectors(block), batch_size)).tolist()
            kept += [s for s, keep in zip(block, mask, strict=True) if keep]
            tried += len(block)
        return draw(gan, kept[:count], truncation=truncation, batch_size=batch_size)
    if seeds is not None:
        seeds = list(seeds)
        z = vectors(seeds)
    elif noise is not None:
        z = noise if truncation is None else truncate(noise, truncation, gan.noise.centre)
    else:
        z = vectors(n=count, random=torch.Generator().manual_seed(seed))
        batch_size = batch_size or BATCH
    if gan.classes is None:
        return Drawn(generate(z, batch_size), None, seeds, z)
    wanted = digits_in_turn(len(z), gan.classes) if digits is None else torch.as_tensor(digits)
    rows = wanted.to(z.dtype) if wanted.ndim == 2 else one_hot(wanted, gan.classes, z.dtype)
    samples = render(gan.sampler, z, rows, batch_size or 1)
    return Drawn(samples, None if wanted.ndim == 2 else wanted.to(samples.device), seeds, z)
