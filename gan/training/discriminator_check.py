"""The walkthrough's discriminator check: can D tell real images from uniform noise before any GAN runs?"""

import torch


def train_discriminator_alone(discriminator, loss, optimizer, images, log_every: int = 10):
    """D on each real image (target 1), then on a ``torch.rand(784)`` image (target 0), as the walkthrough.

    Returns D's recorded losses [(step, loss)], one every ``log_every`` optimizer steps.
    """
    opt = optimizer(discriminator.parameters())
    real, fake = torch.ones(1), torch.zeros(1)
    progress, steps = [], 0
    for image in images:
        for inputs, target in ((image, real), (torch.rand(image.shape[-1]), fake)):
            value = loss(discriminator(inputs), target)
            opt.zero_grad()
            value.backward()
            opt.step()
            steps += 1
            if steps % log_every == 0:
                progress.append((steps, value.item()))
    return progress
