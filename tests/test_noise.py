"""The generator's noise: gan.models.noise."""

import pytest
import torch

from gan.errors import ConfigError
from gan.models.noise import CodedGaussian, Gaussian
from gan.models.sampling import draw_fresh, noise_vectors
from tests.test_sampling import toy


def test_a_coded_noise_holds_a_scaled_one_hot_code_first_and_gaussian_values_after_it():
    z = CodedGaussian(codes=4, scale=2.0)(5000, 12, generator=torch.Generator().manual_seed(0))
    code, rest = z[:, :4], z[:, 4:]
    assert set(code.unique().tolist()) == {0.0, 2.0} and torch.equal(code.sum(1), torch.full((5000,), 2.0))
    shares = torch.bincount(code.argmax(1), minlength=4) / 5000
    assert torch.all((shares - 0.25).abs() < 0.03), shares  # each code drawn about equally often
    assert abs(rest.mean().item()) < 0.03 and abs(rest.std().item() - 1) < 0.03


def test_a_coded_noise_vector_is_the_same_for_the_same_seed_in_any_shape_of_call():
    noise = CodedGaussian()
    one = noise_vectors(noise, 20, [7, 7, 8])
    assert torch.equal(one[0], one[1]) and not torch.equal(one[0], one[2])
    batch = noise(3, 2, 20)  # training's call: leading dimensions, then the noise values
    assert batch.shape == (3, 2, 20) and torch.equal(batch[..., :10].sum(-1), torch.ones(3, 2))


def test_a_code_that_leaves_no_gaussian_values_is_refused_naming_both_settings():
    with pytest.raises(ConfigError, match=r"noise.codes=10 .*model.latent_dim is 10"):
        CodedGaussian(codes=10)(4, 10)
    with pytest.raises(ConfigError, match="noise.codes"):
        CodedGaussian(codes=0)


def test_truncation_is_refused_for_a_noise_without_a_centre_and_still_works_for_one_with_it():
    coded = toy(latent_dim=12)
    coded.noise = CodedGaussian()
    assert draw_fresh(coded, 4, 0).samples.shape == (4, 12)
    with pytest.raises(ConfigError, match="truncation=0.5: CodedGaussian"):
        draw_fresh(coded, 4, 0, truncation=0.5)
    assert Gaussian.centre == 0.0 and draw_fresh(toy(), 4, 0, truncation=0.5).samples.shape == (4, 2)
