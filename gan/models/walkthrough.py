"""The walkthrough's own code, transcribed as literally as possible: the reference for tests and benchmarks.

Only two things differ from the notebook: ``plt.show()`` and plotting are left out, and the ladder's
edits (activation + LayerNorm, Adam, seed size, rand -> randn) are constructor arguments instead of
edits to the class bodies. Do not "improve" this file; its slowness and quirks are the point.

Beside it, ``plain_batched_epoch``: the same three steps as a plain batched PyTorch loop, the other reference (the
batched mode equals it bit for bit; the benchmark holds the batched mode's speed to it). It lives in gan/, not in
tests/, because scripts/benchmark.py runs it too: one copy for both.
"""

import pandas
import torch
from torch import nn
from torch.utils.data import Dataset


class MnistDataset(Dataset):
    def __init__(self, csv_file):
        self.data_df = pandas.read_csv(csv_file, header=None)

    def __len__(self):
        return len(self.data_df)

    def __getitem__(self, index):
        label = self.data_df.iloc[index, 0]
        target = torch.zeros(10)
        target[label] = 1.0
        # the walkthrough's line; .copy(): pandas hands out a read-only view, which torch warns about
        image_values = torch.FloatTensor(self.data_df.iloc[index, 1:].values.copy()) / 255.0
        return label, image_values, target


def _hidden(improved):
    return [nn.LeakyReLU(0.02), nn.LayerNorm(200)] if improved else [nn.Sigmoid()]


def _optimiser(params, improved):
    return torch.optim.Adam(params, lr=0.0001) if improved else torch.optim.SGD(params, lr=0.01)


class Discriminator(nn.Module):
    def __init__(self, improved=False):
        super().__init__()
        self.model = nn.Sequential(nn.Linear(784, 200), *_hidden(improved), nn.Linear(200, 1), nn.Sigmoid())
        self.loss_function = nn.BCELoss() if improved else nn.MSELoss()
        self.optimiser = _optimiser(self.parameters(), improved)
        self.counter = 0
        self.progress = []

    def forward(self, inputs):
        return self.model(inputs)

    def train(self, inputs, targets):
        outputs = self.forward(inputs)
        loss = self.loss_function(outputs, targets)
        self.counter += 1
        if self.counter % 10 == 0:
            self.progress.append(loss.item())
        self.optimiser.zero_grad()
        loss.backward()
        self.optimiser.step()


class Generator(nn.Module):
    def __init__(self, improved=False, seed_size=1):
        super().__init__()
        self.model = nn.Sequential(nn.Linear(seed_size, 200), *_hidden(improved), nn.Linear(200, 784), nn.Sigmoid())
        self.optimiser = _optimiser(self.parameters(), improved)
        self.counter = 0
        self.progress = []

    def forward(self, inputs):
        return self.model(inputs)

    def train(self, D, inputs, targets):
        g_output = self.forward(inputs)
        d_output = D.forward(g_output)
        loss = D.loss_function(d_output, targets)
        self.counter += 1
        if self.counter % 10 == 0:
            self.progress.append(loss.item())
        self.optimiser.zero_grad()
        loss.backward()
        self.optimiser.step()


def run(mnist_dataset, improved=False, seed_size=1, generate_random=torch.rand, limit=None):
    """The walkthrough's training cell: one pass over the dataset, three steps per image."""
    D = Discriminator(improved)
    G = Generator(improved, seed_size)
    for count, (label, image_data_tensor, target_tensor) in enumerate(mnist_dataset):  # noqa: B007
        if limit is not None and count == limit:
            break
        D.train(image_data_tensor, torch.FloatTensor([1.0]))
        D.train(G.forward(generate_random(seed_size)).detach(), torch.FloatTensor([0.0]))
        G.train(D, generate_random(seed_size), torch.FloatTensor([1.0]))
    return D, G


def plain_batched_epoch(module, images, batch_size: int) -> None:
    """One epoch of the three-step update over ``images`` in order, written as a plain PyTorch loop on ``module``'s
    networks, loss, noise and optimizer: the reference the batched mode equals bit for bit (tests/test_gan.py) and
    the speed floor it is held to (scripts/benchmark.py)."""
    D, G, loss, noise = module.discriminator, module.generator, module.loss, module.noise
    opt_d, opt_g = module.optimizer(D.parameters()), module.optimizer(G.parameters())

    def step(optimizer, value):
        optimizer.zero_grad()
        value.backward()
        optimizer.step()

    for real in images.split(batch_size):
        ones, zeros = torch.ones(len(real), 1), torch.zeros(len(real), 1)
        step(opt_d, loss(D(real), ones))
        with torch.no_grad():
            fake = G(noise(len(real), G.latent_dim))
        step(opt_d, loss(D(fake), zeros))
        D.requires_grad_(False)  # as Lightning's toggle: G's step leaves D's gradients alone
        step(opt_g, loss(D(G(noise(len(real), G.latent_dim))), ones))
        D.requires_grad_(True)
