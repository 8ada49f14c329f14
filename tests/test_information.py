"""InfoGAN's mutual-information term (model.info_weight): Q on D's features reads G's code back."""

import pytest
import torch

import gan
from gan.errors import ConfigError
from gan.models.nets import ConvDiscriminator, PointDiscriminator
from gan.models.noise import CodedGaussian
from gan.models.residual import ResidualDiscriminator
from gan.training.config_checks import check_config
from gan.training.fit import fit_trainer
from gan.training.from_config import build_module
from tests.conftest import compose_config

CODED = ("noise=coded", "noise.codes=4")


def coded_ring(*overrides: str, noise=CODED):
    """A quick run on the 2D ring with a 4-value code in G's noise and InfoGAN's term on it."""
    return compose_config(
        "model=mlp2d", "data=ring8", "data.samples=2000", "model.discriminator.units=16",
        "model.generator.hidden_dim=16", "trainer.enable_progress_bar=false", "threads=1", "metrics.enabled=false",
        "loss=rpgan", "penalty=r1_r2", "model.latent_dim=6", "model.info_weight=1.0", *noise, *overrides,
    )  # fmt: skip


def test_a_coded_noise_gives_its_code_back():
    noise = CodedGaussian(codes=4, scale=2.0)
    z = noise(300, 9, generator=torch.Generator().manual_seed(0))
    code = noise.code_of(z)
    assert code.shape == (300,) and set(code.tolist()) == {0, 1, 2, 3}
    assert torch.equal(z[torch.arange(300), code], torch.full((300,), 2.0))


@pytest.mark.parametrize(
    ("critic", "inputs"),
    [
        (ConvDiscriminator(channels=8, batch_norm=False, refine=1), torch.rand(2, 3, 784)),
        (PointDiscriminator(units=16, pieces=3), torch.randn(2, 3, 2)),
        (ResidualDiscriminator(), torch.rand(2, 3, 784)),
    ],
    ids=["dcgan", "points", "residual"],
)
def test_d_hands_q_the_features_its_logits_come_from(critic, inputs):
    logits, features = critic.judged(inputs)
    assert torch.equal(logits, critic.logits(inputs))
    assert features.shape == (2, 3, critic.feature_dim)


def test_a_packed_d_has_no_features_for_q():
    with pytest.raises(ConfigError, match=r"does not hand its features to a Q head \(model.info_weight\)"):
        _ = ConvDiscriminator(channels=8, pack=2).feature_dim


@pytest.mark.parametrize(
    ("overrides", "needs"),
    [
        ((), r"needs noise=coded .*not Gaussian"),
        (("loss=bce", "penalty=none"), r"needs a loss on D's logits"),
        (("model.pack=2",), r"needs an unpacked D"),
    ],
)
def test_the_term_is_refused_where_it_cannot_apply_before_any_work(overrides, needs):
    cfg = coded_ring(*overrides, noise=CODED if overrides else ("noise=randn",))
    with pytest.raises(ConfigError, match=rf"model.info_weight=1.0 \(InfoGAN's term\) {needs}"):
        check_config(cfg)
    with pytest.raises(ConfigError, match=needs):  # the module refuses it too, for plain Python use
        build_module(cfg)


def test_q_learns_to_read_the_code_and_is_saved_with_the_run(tmp_path):
    cfg = coded_ring("max_updates=150", "data.batch_size=64", "optimizer.lr=1e-3")
    _, module, *_ = fit_trainer(cfg, tmp_path / "r")
    d_optimizer = module.optimizers()[0].optimizer
    in_d_optimizer = {id(p) for group in d_optimizer.param_groups for p in group["params"]}
    assert all(id(p) in in_d_optimizer for p in module.information.parameters())  # Q trains with D

    torch.manual_seed(1)
    z = module.noise(2000, module.latent_dim)
    with torch.no_grad():
        _, features = module.discriminator.judged(module.generator.eval()(z))
        read = module.information.head(features).argmax(-1)
    accuracy = (read == module.noise.code_of(z)).float().mean().item()
    assert accuracy > 0.9  # chance: 0.25

    loaded = gan.load(tmp_path / "r").module
    assert torch.equal(loaded.information.head.weight, module.information.head.weight)


def test_without_the_term_a_coded_run_has_no_q(tmp_path):
    module = build_module(coded_ring("model.info_weight=null"))
    assert module.information is None
    assert not any("information" in name for name, _ in module.named_parameters())


@pytest.mark.parametrize(("weight", "every"), [(1.0, 1), (0.5, 4)], ids=["lambda 1", "lambda 0.5, lazy every 4th"])
def test_an_update_with_the_term_equals_a_plain_pytorch_loop_bit_for_bit(tmp_path, weight, every):
    """The shipped mnist_legible combination (lambda 1, penalty.every=4) and another lambda, over 5 updates."""
    cfg = coded_ring("max_updates=5", "data.shuffle=false", "model.generator.batch_norm=false", "schedule=constant",
                     f"model.info_weight={weight}", f"penalty.every={every}")  # fmt: skip
    _, module, data, *_ = fit_trainer(cfg, tmp_path / "r")

    torch.manual_seed(cfg.seed)  # as training seeds it before building D, G and Q
    plain = build_module(cfg)
    D, G, Q, noise, gamma = plain.discriminator, plain.generator, plain.information.head, plain.noise, cfg.penalty.r1
    opt_d, opt_g = plain.optimizer([*D.parameters(), *Q.parameters()]), plain.optimizer(G.parameters())
    ce = torch.nn.functional.cross_entropy

    def judged(x):  # D's logits and Q's logits, from one pass through D's layers
        features = D.model[:-1](x)
        return D.model[-1](features), Q(features)

    for update, real in enumerate(data.train_set.images.split(100)[:5]):
        z = noise(100, G.latent_dim)
        with torch.no_grad():
            fake = G(z)
        due = update % every == 0  # lazy: the penalties at every k-th D step, scaled by k
        real_in, fake_in = real.clone().requires_grad_(due), fake.requires_grad_(due)
        d_real, (d_fake, q_fake) = D.logits(real_in), judged(fake_in)
        d_loss = torch.nn.functional.softplus(d_fake - d_real).mean()
        if due:
            (g_real,) = torch.autograd.grad(d_real.sum(), real_in, create_graph=True)
            (g_fake,) = torch.autograd.grad(d_fake.sum(), fake_in, create_graph=True)
            r1, r2 = g_real.square().sum(1).mean(), g_fake.square().sum(1).mean()
            d_loss = d_loss + every * gamma / 2 * r1 + every * gamma / 2 * r2
        opt_d.zero_grad()
        (d_loss + weight * ce(q_fake, noise.code_of(z))).backward()
        opt_d.step()
        D.requires_grad_(False), Q.requires_grad_(False)
        z = noise(100, G.latent_dim)
        g_fake, q_fake = judged(G(z))
        g_loss = torch.nn.functional.softplus(D.logits(real) - g_fake).mean() + weight * ce(q_fake, noise.code_of(z))
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        D.requires_grad_(True), Q.requires_grad_(True)
    for (name, trained), reference in zip(module.named_parameters(), plain.parameters(), strict=True):
        assert torch.equal(trained, reference), name


def test_the_shipped_info_lazy_bf16_combination_trains_close_to_float32(tmp_path):
    """mnist_legible's combination (InfoGAN's term at lambda 1, penalty.every=4, bf16 autocast) over 8 updates:
    finite, Q still in D's optimizer, and the weights within 1% (relative norm) of the same run in float32."""
    runs = {}
    for precision in ("bf16-mixed", "32-true"):
        cfg = coded_ring("max_updates=8", "data.shuffle=false", "penalty.every=4", f"trainer.precision={precision}")
        _, runs[precision], *_ = fit_trainer(cfg, tmp_path / precision)
    bf16, exact = (torch.cat([p.detach().flatten() for p in runs[k].parameters()]) for k in ("bf16-mixed", "32-true"))
    assert torch.isfinite(bf16).all() and runs["bf16-mixed"].information is not None
    assert 0 < ((bf16 - exact).norm() / exact.norm()).item() < 0.01
