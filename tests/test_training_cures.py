"""The cures for mode collapse, each one override: PacGAN packing, minibatch std, spectral norm, EMA of G."""

import pytest
import torch

from gan.models.nets import ConditionalDiscriminator, ConvDiscriminator, Discriminator, pack_samples
from gan.training.fit import train
from gan.training.from_config import build_module
from tests.conftest import compose_config, tiny_run_config

MODELS = ["model=baseline", "model=improved", "model=conditional", "model=dcgan"]


def test_packing_concatenates_consecutive_samples():
    images = torch.arange(12.0).reshape(4, 3)
    assert torch.equal(pack_samples(images, 2), torch.tensor([[0.0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]]))
    assert pack_samples(images, 1) is images
    with pytest.raises(ValueError, match="multiple of 3"):
        pack_samples(images, 3)


@pytest.mark.parametrize("model", MODELS)
def test_pack_widens_only_the_first_layer_of_d(model):
    plain, packed = build_module(compose_config(model)), build_module(compose_config(model, "model.pack=3"))
    first = [p for p in plain.discriminator.parameters()][0]
    first_packed = [p for p in packed.discriminator.parameters()][0]
    assert first_packed.shape[1] == 3 * first.shape[1]  # Linear: in_features; Conv2d: in_channels
    assert [p.shape for p in plain.generator.parameters()] == [p.shape for p in packed.generator.parameters()]


def test_a_packed_d_judges_m_samples_at_once():
    torch.manual_seed(0)
    mlp, conv = Discriminator(pack=2), ConvDiscriminator(pack=2).eval()
    cond = ConditionalDiscriminator(pack=2)
    images, labels = torch.rand(6, 784), torch.eye(10)[:6]
    assert mlp(images).shape == conv(images).shape == cond(images, labels).shape == (3, 1)
    assert mlp(images[:2]).shape == (1, 1)  # the walkthrough's batch size 1, packed: one judgement of 2 images
    # the conv D stacks the m samples as channels: its first layer sees both
    swapped = images.clone()
    swapped[1] = torch.rand(784)
    assert conv(images)[0] != conv(swapped)[0] and conv(images)[1] == conv(swapped)[1]


def test_pack_draws_m_times_the_images_per_update(tiny_csv, tmp_path):
    cfg = tiny_run_config(tiny_csv, tmp_path, "model=improved", "noise=randn", "model.pack=2")
    summary = train(cfg, tmp_path / "run")  # batch size 1: each update takes 2 real and 2 + 2 fake images
    assert summary["updates"] == 100


def test_minibatch_std_lets_d_see_the_spread_of_its_batch():
    torch.manual_seed(0)
    sample = torch.rand(1, 784)
    diverse = torch.cat([sample, torch.rand(7, 784)])
    collapsed = torch.cat([sample, sample.repeat(7, 1) + 0.01 * torch.rand(7, 784)])
    with_std = Discriminator(leaky_slope=0.2, minibatch_std=True)
    without = Discriminator(leaky_slope=0.2)
    assert with_std(diverse)[0] != with_std(collapsed)[0]  # the same first sample, judged differently
    assert torch.allclose(without(diverse)[0], without(collapsed)[0])
    conv = ConvDiscriminator(minibatch_std=True).eval()
    assert conv(diverse)[0] != conv(collapsed)[0]


def test_spectral_norm_keeps_each_weight_at_spectral_norm_1():
    torch.manual_seed(0)
    discriminator = Discriminator(leaky_slope=0.2, spectral_norm=True)
    for _ in range(30):  # each training-mode forward pass runs one power iteration
        discriminator(torch.rand(8, 784))
    for layer in (discriminator.model[0], discriminator.model[-1]):  # the first and the last (logit) layer
        assert torch.linalg.matrix_norm(layer.weight.detach(), ord=2) == pytest.approx(1.0, abs=0.02)


def test_ema_weights_lag_g_and_draw_the_samples(tiny_csv, tmp_path):
    cfg = tiny_run_config(tiny_csv, tmp_path, "model=improved", "noise=randn", "model.ema_decay=0.9")
    train(cfg, tmp_path / "run")
    state = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", weights_only=False)["state_dict"]
    g, ema = state["generator.model.0.weight"], state["ema_generator.module.model.0.weight"]
    assert not torch.equal(g, ema)
    module = build_module(cfg)
    module.load_state_dict(state)
    assert module.sampler is module.ema_generator.module
    seeds = torch.randn(4, 100)
    one_by_one = [seed.unsqueeze(0) for seed in seeds]  # sample() draws one seed per forward pass
    assert torch.equal(module.sample(seeds), torch.cat([module.ema_generator.module(z) for z in one_by_one]))
    assert not torch.equal(module.sample(seeds), torch.cat([module.generator(z) for z in one_by_one]))


def test_ema_averages_over_updates():
    module = build_module(compose_config("model=improved", "model.ema_decay=0.5"))
    weight = module.generator.model[0].weight
    module.ema_generator.update_parameters(module.generator)  # the first update copies G
    with torch.no_grad():
        before = weight.clone()
        weight.add_(1.0)
    module.ema_generator.update_parameters(module.generator)
    assert torch.allclose(module.ema_generator.module.model[0].weight, before + 0.5)  # halfway, with decay 0.5


@pytest.mark.parametrize("key", ["model.pack=0", "model.ema_decay=1.0"])
def test_bad_cure_values_are_refused(key, tiny_csv, tmp_path):
    from gan.training.config_checks import check_config

    with pytest.raises(ValueError, match=key.split("=")[0]):
        check_config(tiny_run_config(tiny_csv, tmp_path, key))


def test_the_last_short_update_of_an_epoch_keeps_whole_packs():
    from gan.data.updates import UpdateLoader

    images, labels = torch.rand(200, 784), torch.zeros(200, dtype=torch.long)
    loader = UpdateLoader(images, labels, batch_size=3 * 64, chunk_size=None, shuffle=False, seed=0, pack=3)
    sizes = [len(images) for images, _ in loader]
    assert len(loader) == 2
    assert sizes == [192, 6]  # 200 = 192 + 8: the 2 images that make no whole pack of 3 are left out
