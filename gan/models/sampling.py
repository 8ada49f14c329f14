"""Images from a generator: the one path that the sample panel, the judge metrics and ``generate.py`` all take.

A picture is named by integer seeds: seed ``s`` is ``noise(latent_dim, generator=torch.Generator().manual_seed(s))``,
drawn on the CPU, so the same seed gives the same image in every command and on every device.
"""

import torch


def one_hot(digits, classes: int, dtype=torch.float32) -> torch.Tensor:
    """A conditional network's digit input: [..., classes], 1 at each digit. Built here only."""
    return torch.nn.functional.one_hot(torch.as_tensor(digits), classes).to(dtype)


def noise_vectors(noise, latent_dim: int, seeds) -> torch.Tensor:
    """[len(seeds), latent_dim]: the noise vector each integer seed names."""
    return torch.stack([noise(latent_dim, generator=torch.Generator().manual_seed(s)) for s in seeds])


@torch.no_grad()
def render(generator, seeds: torch.Tensor, digits: torch.Tensor | None = None, batch_size: int = 1) -> torch.Tensor:
    """images [N, channels * 784] for noise ``seeds`` [N, latent_dim] (and a conditional generator's ``digits``
    [N, classes], one-hot or mixed), on the generator's device.

    Always in eval mode: BatchNorm (model=dcgan) uses its running statistics and does not update them, so
    drawing pictures or metrics never changes training. The generator's mode is restored afterwards.
    ``batch_size=1`` (one forward pass per seed, on one CPU thread) makes a seed's image the same in every
    command: a product can round differently for another batch size or another thread count. The metrics draw
    in batches of 1,000 for speed.
    """
    device = next(generator.parameters()).device
    was_training, threads = generator.training, torch.get_num_threads()
    generator.eval()
    if batch_size == 1:
        torch.set_num_threads(1)
    try:
        batches = seeds.split(batch_size)
        if digits is None:
            return torch.cat([generator(z.to(device)) for z in batches])
        pairs = zip(batches, digits.split(batch_size), strict=True)
        return torch.cat([generator(z.to(device), y.to(device)) for z, y in pairs])
    finally:
        generator.train(was_training)
        torch.set_num_threads(threads)
