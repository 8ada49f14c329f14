"""One path from noise to samples (gan.models.sampling: draw_seeds, draw_fresh, draw_noise, DRS around them),
taken by the panels, the metrics, Run and the scripts."""

import itertools
from types import SimpleNamespace

import pytest
import torch

from gan.errors import ConfigError
from gan.models.noise import Gaussian
from gan.models.sampling import draw_fresh, draw_fresh_kept, draw_noise, draw_seeds, draw_seeds_kept, noise_vectors
from gan.models.sampling_cures import RejectionSampler


class Identity(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))  # a parameter: render reads its device

    def forward(self, z, digits=None):
        return z if digits is None else torch.cat([z, digits], 1)


def toy(classes=None, latent_dim=2):
    """What drawing reads of a GAN: its sampler, noise, latent_dim and classes."""
    return SimpleNamespace(sampler=Identity(), noise=Gaussian(), latent_dim=latent_dim, classes=classes)


def test_fresh_samples_come_from_their_own_seed():
    a, b = draw_fresh(toy(), 10, noise_seed=3), draw_fresh(toy(), 10, noise_seed=3)
    assert a.samples.shape == (10, 2) and torch.equal(a.samples, b.samples) and a.digits is None
    assert not torch.equal(a.samples, draw_fresh(toy(), 10, noise_seed=4).samples)


def test_truncation_pulls_the_noise_to_its_centre():
    full, half = draw_fresh(toy(), 100, 3), draw_fresh(toy(), 100, 3, truncation=0.5)
    assert torch.allclose(half.samples, full.samples / 2) and torch.equal(half.noise, half.samples)


def test_a_seed_names_the_same_vector_alone_or_among_others():
    many = draw_seeds(toy(), [5, 9, 2]).samples
    assert torch.equal(many[1], draw_seeds(toy(), [9]).samples[0])
    assert torch.equal(many, noise_vectors(Gaussian(), 2, [5, 9, 2]))


def test_a_conditional_gan_draws_the_digits_in_turn_unless_told():
    drawn = draw_seeds(toy(classes=3), range(7))
    assert drawn.digits.tolist() == [0, 1, 2, 0, 1, 2, 0]
    assert drawn.samples[:, 2:].argmax(1).tolist() == [0, 1, 2, 0, 1, 2, 0]  # the one-hot rows G was given
    told = draw_seeds(toy(classes=3), range(2), digits=[2, 2])
    assert told.digits.tolist() == [2, 2] and torch.equal(told.samples[:, :2], drawn.samples[:2, :2])


def test_drs_refuses_a_conditional_gan_and_given_vectors_are_drawn_as_given():
    sampler = RejectionSampler(torch.nn.Linear(2, 1))
    for kept in (lambda: draw_fresh_kept(toy(classes=3), 4, sampler), lambda: draw_seeds_kept(toy(classes=3), [1], 1,
                                                                                                sampler)):  # fmt: skip
        with pytest.raises(ConfigError, match="DRS needs an unconditional GAN"):
            kept()
    z = torch.randn(3, 2)
    assert torch.equal(draw_noise(toy(), z).samples, z) and torch.equal(
        draw_noise(toy(), z, truncation=0.5).noise, z / 2
    )


def test_drs_over_seeds_keeps_the_first_seeds_its_d_accepts():
    class FirstCoordinate(torch.nn.Module):  # D prefers points with a large first coordinate
        def logits(self, x):
            return 4 * x[:, 0]

    kept = draw_seeds_kept(toy(), itertools.count(), 5, RejectionSampler(FirstCoordinate(), burn_in=256))
    assert len(kept.seeds) == 5 and kept.seeds == sorted(kept.seeds) and kept.seeds != list(range(5))
    assert torch.equal(kept.samples, noise_vectors(Gaussian(), 2, kept.seeds))  # each kept seed's own vector
    assert kept.samples[:, 0].mean() > 0.3  # DRS kept the points its D scores high
