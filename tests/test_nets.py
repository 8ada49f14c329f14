"""model=conditional and model=dcgan: shapes, the label in use, and a short real run (slow)."""

import pytest
import torch

from gan.models.nets import ConditionalDiscriminator, ConditionalGenerator, ConvDiscriminator, ConvGenerator
from gan.training.fit import train
from gan.training.from_config import build_module
from tests.conftest import compose_config


@pytest.mark.parametrize("batch_shape", [(), (5,)], ids=["unbatched", "batch"])
def test_shapes(batch_shape):
    torch.manual_seed(0)
    images, seeds, digits = torch.rand(*batch_shape, 784), torch.randn(*batch_shape, 100), torch.zeros(*batch_shape, 10)
    digits[..., 3] = 1
    assert ConditionalGenerator()(seeds, digits).shape == (*batch_shape, 784)
    assert ConditionalDiscriminator()(images, digits).shape == (*batch_shape, 1)
    generator, discriminator = ConvGenerator().eval(), ConvDiscriminator().eval()  # eval: BatchNorm on one image
    assert generator(seeds).shape == (*batch_shape, 784) and discriminator(images).shape == (*batch_shape, 1)
    out = generator(seeds)
    assert out.min() >= 0 and out.max() <= 1


@pytest.mark.parametrize("refine", [0, 1, 2])
def test_refine_adds_3x3_convolutions_at_7x7_and_14x14(refine):
    generator = ConvGenerator(channels=8, refine=refine)
    convs = [m for m in generator.model if isinstance(m, torch.nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.stride) for c in convs] == (
        [(16, 16, (3, 3), (1, 1))] * refine + [(8, 8, (3, 3), (1, 1))] * refine  # at 7x7 (2c), then at 14x14 (c)
    )
    out = generator.train()(torch.randn(4, 100))
    assert out.shape == (4, 784) and 0 <= out.min() and out.max() <= 1
    if refine == 0:  # the DCGAN's layers, so a checkpoint of a run before refine existed still loads
        assert list(generator.state_dict()) == list(ConvGenerator(channels=8).state_dict())


@pytest.mark.parametrize("refine", [0, 1, 2])
@pytest.mark.parametrize("batch_norm", [False, True])
def test_discriminator_refine_adds_3x3_convolutions_at_14x14_and_7x7(refine, batch_norm):
    discriminator = ConvDiscriminator(channels=8, refine=refine, batch_norm=batch_norm)
    convs = [m for m in discriminator.model if isinstance(m, torch.nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.stride) for c in convs] == (
        [(1, 8, (4, 4), (2, 2))]
        + [(8, 8, (3, 3), (1, 1))] * refine  # at 14x14 (c)
        + [(8, 16, (4, 4), (2, 2))]
        + [(16, 16, (3, 3), (1, 1))] * refine  # at 7x7 (2c)
    )
    assert len({id(c) for c in convs}) == len(convs)  # k layers of their own, not one layer k times
    norms = sum(isinstance(m, torch.nn.BatchNorm2d) for m in discriminator.model)
    assert norms == (1 + refine) * batch_norm  # BatchNorm at 7x7 only, as the DCGAN's
    assert discriminator(torch.rand(4, 784)).shape == (4, 1)
    if refine == 0:  # the DCGAN's layers, so a checkpoint of a run before refine existed still loads
        dcgan = ConvDiscriminator(channels=8, batch_norm=batch_norm)
        assert list(discriminator.state_dict()) == list(dcgan.state_dict())


def test_the_conditional_generator_uses_its_label():
    module = build_module(compose_config("model=conditional"))
    seeds = torch.randn(1, 100).repeat(10, 1)  # the same seed for every digit
    images = module.sample(seeds, torch.arange(10))
    assert all(not torch.equal(images[0], images[d]) for d in range(1, 10))


@pytest.mark.parametrize(
    "overrides", [["model=conditional"], ["model=dcgan"], ["model=dcgan", "loss=mse", "optimizer=sgd", "noise=rand"]]
)
def test_both_train_through_the_same_loop(tiny_csv, tmp_path, overrides):
    cfg = compose_config(
        *overrides,
        "data=csv",
        f"data.train_csv={tiny_csv}",
        f"data.data_dir={tmp_path}",
        "data.batch_size=8",
        "trainer.max_epochs=1",  # model=dcgan's preset trains 10
        "trainer.enable_progress_bar=false",
        "trainer.enable_model_summary=false",
    )
    before = {k: v.clone() for k, v in build_module(cfg).state_dict().items()}
    summary = train(cfg, tmp_path / "run")
    after = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", weights_only=False)["state_dict"]
    assert summary["updates"] == 25
    changed = [k for k in before if k.endswith("weight") and not torch.equal(before[k], after[k])]
    assert any(k.startswith("generator.") for k in changed) and any(k.startswith("discriminator.") for k in changed)


@pytest.mark.e2e
@pytest.mark.slow
def test_a_short_conditional_run_draws_the_asked_digit_well_above_chance(mnist_dir, tmp_path):
    cfg = compose_config(
        "model=conditional",
        f"data.data_dir={mnist_dir}",
        "data.batch_size=32",
        "optimizer.lr=5e-4",
        "trainer.max_epochs=4",  # 7,500 updates: measured 12% after 1 epoch, 67% after 3, 87.5% after 4
        "trainer.enable_progress_bar=false",
        "metrics.enabled=true",
        "metrics.samples=2000",
    )
    summary = train(cfg, tmp_path / "run")
    assert summary["metrics"]["conditional_accuracy"] > 0.5  # chance is 0.1
