"""R3GAN's networks at 28x28 (gan/models/residual.py): shapes for 1 and 3 channels, blocks that start as the
identity, widths as config values, and a short run with R3GAN's objective."""

import pytest
import torch

from gan.errors import ConfigError
from gan.models.residual import ResidualBlock, ResidualDiscriminator, ResidualGenerator
from gan.training.config_checks import check_config
from gan.training.fit import train
from tests.conftest import compose_config, synthetic, tiny_run_config, write_csv


@pytest.mark.parametrize("channels", [1, 3])
def test_residual_networks_map_noise_to_images_and_images_to_one_logit(channels):
    G = ResidualGenerator(latent_dim=8, widths=(16, 8, 8), image_channels=channels)
    D = ResidualDiscriminator(widths=(8, 8, 16), image_channels=channels, pack=2)
    images = G(torch.randn(6, 8))
    assert images.shape == (6, channels * 784) and 0 < images.min() and images.max() < 1
    assert D.logits(images).shape == (3, 1)  # packed in pairs
    assert torch.equal(D(images), torch.sigmoid(D.logits(images)))
    assert G(torch.randn(8)).shape == (channels * 784,)  # an unbatched vector, as the walkthrough draws one


def test_a_residual_block_starts_as_the_identity_and_learns_away_from_it():
    block = ResidualBlock(channels=16, blocks=3)
    x = torch.randn(2, 16, 7, 7)
    assert torch.equal(block(x), x)
    block(x).square().mean().backward()
    assert block.branch[-1].weight.grad.abs().sum() > 0  # the zero layer gets a gradient: the branch can grow


def test_the_widths_of_d_and_g_are_set_apart_and_checked():
    small = sum(p.numel() for p in ResidualDiscriminator(widths=(8, 8, 8)).parameters())
    wide = sum(p.numel() for p in ResidualDiscriminator(widths=(32, 64, 128)).parameters())
    assert wide > 10 * small
    cfg = compose_config("model=residual", "model.discriminator.widths=[32,64,128]")
    assert list(cfg.model.generator.widths) == [64, 32, 16]  # G's own, untouched
    with pytest.raises(ConfigError, match="model.generator.widths=\\[64, 32\\] is invalid: it must be three widths"):
        check_config(compose_config("model=residual", "model.generator.widths=[64,32]"))


def test_a_short_residual_run_trains_with_r3gans_objective(tmp_path):
    csv = write_csv(tmp_path / "tiny.csv", *synthetic(64))
    overrides = ("model=residual", "data.batch_size=16", "max_updates=3", "model.generator.widths=[16,8,8]",
                 "model.discriminator.widths=[8,8,16]")  # fmt: skip
    summary = train(tiny_run_config(csv, tmp_path, *overrides), tmp_path / "run")
    assert summary["updates"] == 3 and summary["last_d_loss"] is not None
