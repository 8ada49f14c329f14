"""The objectives on D's logits (gan/models/losses.py LogitLoss), the gradient penalties (gan/models/penalties.py)
and the schedules (gan/models/schedules.py): known answers, and an update that equals a plain PyTorch loop."""

import math

import lightning as L
import pytest
import torch

from gan.errors import ConfigError
from gan.models import losses, nets
from gan.models.penalties import Penalty
from gan.models.schedules import Schedule
from gan.training.config_checks import check_config
from gan.training.fit import fit_trainer, train
from gan.training.from_config import build_module
from tests.conftest import compose_config

MODERN = ("loss=rpgan", "penalty=r1_r2", "schedule=linear")


def ring_config(*overrides: str):
    """A quick run on the 2D ring: 2,000 points, PacGAN's networks made small, no metrics."""
    return compose_config(
        "model=mlp2d",
        "data=ring8",
        "data.samples=2000",
        "model.discriminator.units=16",
        "model.generator.hidden_dim=16",
        "trainer.enable_progress_bar=false",
        "threads=1",
        *overrides,
    )


# --- losses: known answers ------------------------------------------------------------------------------------


def test_relativistic_pairing_at_equal_logits_is_ln_2_for_both():
    rp, logits = losses.Relativistic(), torch.full((5, 1), 3.7)
    assert rp.discriminator_loss(logits, logits).item() == pytest.approx(math.log(2))
    assert rp.generator_loss(logits, logits).item() == pytest.approx(math.log(2))
    assert rp.equilibrium == pytest.approx(math.log(2))
    # D's loss falls as real and fake logits draw apart, G's rises: each sample compared with its pair
    real, fake = torch.tensor([[2.0], [0.0]]), torch.tensor([[-2.0], [0.0]])
    expected = (math.log1p(math.exp(-4)) + math.log(2)) / 2
    assert rp.discriminator_loss(real, fake).item() == pytest.approx(expected)


def test_the_non_saturating_loss_is_bce_on_logits_without_overflow():
    ns, real, fake = losses.NonSaturating(), torch.tensor([[0.3], [-1.2]]), torch.tensor([[0.5], [2.0]])
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    expected = bce(real, torch.ones_like(real)) + bce(fake, torch.zeros_like(fake))
    assert torch.allclose(ns.discriminator_loss(real, fake), expected)
    assert torch.allclose(ns.generator_loss(real, fake), bce(fake, torch.ones_like(fake)))
    zero = torch.zeros(3, 1)
    assert ns.discriminator_loss(zero, zero).item() == pytest.approx(2 * math.log(2))
    assert torch.isfinite(ns.discriminator_loss(torch.full((1, 1), -1e4), torch.full((1, 1), 1e4)))


def test_hinge_and_wasserstein_losses():
    real, fake = torch.tensor([[2.0], [0.5]]), torch.tensor([[-3.0], [0.0]])
    assert losses.Hinge().discriminator_loss(real, fake).item() == pytest.approx((0 + 0.5) / 2 + (0 + 1) / 2)
    assert losses.Hinge().generator_loss(real, fake).item() == pytest.approx(1.5)
    assert losses.Wasserstein().discriminator_loss(real, fake).item() == pytest.approx(-1.5 - 1.25)
    assert losses.Wasserstein().generator_loss(real, fake).item() == pytest.approx(1.5)


# --- penalties: known answers on a linear D -------------------------------------------------------------------


def linear_critic(weight):
    return lambda x, *_: x @ weight[:, None]


def test_a_linear_d_has_squared_gradient_norm_of_its_weights():
    weight = torch.tensor([3.0, -4.0, 12.0])
    x = torch.randn(7, 3, requires_grad=True)
    assert Penalty.zero_centred(linear_critic(weight)(x), x).item() == pytest.approx(169.0)  # |w|^2 = 13^2
    gp = Penalty.one_centred(linear_critic(weight), torch.randn(7, 3), torch.randn(7, 3))
    assert gp.item() == pytest.approx((13.0 - 1) ** 2)


def test_a_penalty_reaches_d_weights_through_a_double_backward():
    layer = torch.nn.Linear(3, 1, bias=False)
    x = torch.randn(4, 3, requires_grad=True)
    Penalty.zero_centred(layer(x), x).backward()
    assert torch.allclose(layer.weight.grad, 2 * layer.weight.detach())  # d|w|^2/dw = 2w


def test_lazy_regularisation_applies_every_kth_step_scaled_by_k():
    lazy = Penalty(r1=1.0, every=4, floor=0.5)
    assert [lazy.due(step) for step in range(9)] == [True, False, False, False, True, False, False, False, True]
    assert lazy.strength(1.0) == 4 and lazy.strength(0.1) == 2.0  # floor: half the start, times every
    assert not Penalty().active and not Penalty().due(0)
    with pytest.raises(ConfigError, match="penalty.r1=-1"):
        Penalty(r1=-1)


# --- schedules ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", ["linear", "cosine"])
def test_a_schedule_starts_at_one_and_reaches_final_at_the_last_update(shape):
    schedule = Schedule(shape, final=0.1)
    factors = [schedule.factor(u, 100) for u in range(100)]
    assert factors[0] == 1.0 and factors[-1] == pytest.approx(0.1) and schedule.factor(150, 100) == pytest.approx(0.1)
    assert all(a >= b for a, b in zip(factors, factors[1:], strict=False))
    assert schedule.factor(50, 101) == pytest.approx(0.55)  # half way: both shapes pass the middle
    assert Schedule().factor(99, 100) == 1.0


def test_a_constant_schedule_refuses_a_final_share_it_would_ignore():
    with pytest.raises(ConfigError, match=r"schedule.final=0.5 has no effect with schedule.shape=constant"):
        Schedule("constant", final=0.5)
    assert Schedule("constant", final=1.0).factor(99, 100) == 1.0


def test_the_learning_rate_follows_the_schedule_through_lightning_and_ends_at_final(tmp_path):
    cfg = ring_config(*MODERN, "max_updates=40", "optimizer.lr=1e-3", "schedule.final=0.25")
    trainer, module, *_ = fit_trainer(cfg, tmp_path / "r")
    assert module.updates == 40 and module.total_updates == 40
    for optimizer in trainer.optimizers:  # the last update ran at lr 1e-3 * 0.25; the scheduler has stepped past it
        assert optimizer.param_groups[0]["lr"] == pytest.approx(2.5e-4)
    assert trainer.global_step == 80  # two optimizer steps per update with a loss on logits


# --- the update -----------------------------------------------------------------------------------------------


def test_every_discriminator_gives_its_probability_as_the_sigmoid_of_its_logits():
    for d, inputs in [
        (nets.Discriminator(leaky_slope=0.02, layer_norm=True), (torch.rand(4, 784),)),
        (nets.ConditionalDiscriminator(), (torch.rand(4, 784), torch.eye(10)[:4])),
        (nets.ConvDiscriminator(pack=2), (torch.rand(4, 784),)),
        (nets.PointDiscriminator(), (torch.randn(4, 2),)),
    ]:
        assert torch.equal(d(*inputs), torch.sigmoid(d.logits(*inputs)))


def plain_steps(D, opt_d, d_loss, opt_g, g_loss) -> None:
    """The plain loop's D step on ``d_loss``, then G's on ``g_loss()`` computed with D's weights frozen."""
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    D.requires_grad_(False)
    loss = g_loss()
    opt_g.zero_grad()
    loss.backward()
    opt_g.step()
    D.requires_grad_(True)


@pytest.mark.parametrize("every", [1, 4], ids=["every update", "lazy, every 4th"])
def test_an_rpgan_r1_r2_update_equals_a_plain_pytorch_loop_bit_for_bit(tmp_path, every):
    cfg = ring_config(*MODERN, "max_updates=6", "data.shuffle=false", "model.generator.batch_norm=false",
                      f"penalty.every={every}")  # fmt: skip
    _, module, data, *_ = fit_trainer(cfg, tmp_path / "r")

    L.seed_everything(cfg.seed, verbose=False)
    plain = build_module(cfg)
    D, G, noise, gamma = plain.discriminator, plain.generator, plain.noise, cfg.penalty.r1
    opt_d, opt_g = plain.optimizer(D.parameters()), plain.optimizer(G.parameters())
    for update, real in enumerate(data.train_set.images.split(100)[:6]):
        factor = 1 - 0.9 * update / 5  # linear, to a tenth at the last of 6 updates (lr and gamma alike)
        for optimizer in (opt_d, opt_g):
            optimizer.param_groups[0]["lr"] = cfg.optimizer.lr * factor
        with torch.no_grad():
            fake = G(noise(100, G.latent_dim))
        due = update % every == 0  # lazy regularisation: the penalties every k-th D step, scaled by k
        real_in, fake_in = real.clone().requires_grad_(due), fake.requires_grad_(due)
        d_real, d_fake = D.logits(real_in), D.logits(fake_in)
        d_loss = torch.nn.functional.softplus(d_fake - d_real).mean()
        if due:
            (g_real,) = torch.autograd.grad(d_real.sum(), real_in, create_graph=True)
            (g_fake,) = torch.autograd.grad(d_fake.sum(), fake_in, create_graph=True)
            r1, r2 = g_real.square().sum(1).mean(), g_fake.square().sum(1).mean()
            strength = max(factor, cfg.penalty.floor) * every
            d_loss = d_loss + strength * gamma / 2 * r1 + strength * gamma / 2 * r2
        def g_loss(real=real):
            return torch.nn.functional.softplus(D.logits(real) - D.logits(G(noise(100, G.latent_dim)))).mean()

        plain_steps(D, opt_d, d_loss, opt_g, g_loss)
    for (name, trained), reference in zip(module.named_parameters(), plain.parameters(), strict=True):
        assert torch.equal(trained, reference), name


def test_lazy_penalties_skip_the_double_backward_between_their_steps(tmp_path, monkeypatch):
    from gan.models.penalties import Penalty

    taken = []
    zero_centred = Penalty.zero_centred
    monkeypatch.setattr(Penalty, "zero_centred", staticmethod(lambda *a: taken.append(1) or zero_centred(*a)))
    fit_trainer(ring_config(*MODERN, "max_updates=8", "data.shuffle=false", "penalty.every=4"), tmp_path / "lazy")
    assert len(taken) == 2 * 2  # R1 and R2 at D's steps 0 and 4 of 8: the other six skip the double backward
    taken.clear()
    fit_trainer(ring_config(*MODERN, "max_updates=8", "data.shuffle=false"), tmp_path / "eager")
    assert len(taken) == 2 * 8


def test_a_wgan_gp_update_equals_a_plain_pytorch_loop_bit_for_bit(tmp_path):
    cfg = ring_config("loss=wgan", "penalty=gp", "max_updates=3", "data.shuffle=false",
                      "model.generator.batch_norm=false")  # fmt: skip
    _, module, data, *_ = fit_trainer(cfg, tmp_path / "r")

    L.seed_everything(cfg.seed, verbose=False)
    plain = build_module(cfg)
    D, G, noise, lam = plain.discriminator, plain.generator, plain.noise, cfg.penalty.gp
    opt_d, opt_g = plain.optimizer(D.parameters()), plain.optimizer(G.parameters())
    for real in data.train_set.images.split(100)[:3]:
        with torch.no_grad():
            fake = G(noise(100, G.latent_dim))
        d_real = D.logits(real)  # before the fakes, as the update does: the gradients accumulate in that order
        d_loss = D.logits(fake).mean() - d_real.mean()
        eps = torch.rand(100, 1)  # one per sample, drawn after the fake's noise
        between = (eps * real + (1 - eps) * fake).requires_grad_(True)
        (grad,) = torch.autograd.grad(D.logits(between).sum(), between, create_graph=True)
        d_loss = d_loss + lam * (grad.norm(dim=1) - 1).square().mean()
        plain_steps(D, opt_d, d_loss, opt_g, lambda: -D.logits(G(noise(100, G.latent_dim))).mean())
    for (name, trained), reference in zip(module.named_parameters(), plain.parameters(), strict=True):
        assert torch.equal(trained, reference), name


def test_a_conditional_paired_update_draws_its_fakes_as_the_real_batchs_digits(tmp_path, monkeypatch):
    from gan.models.nets import ConditionalDiscriminator
    from tests.conftest import synthetic, tiny_run_config, write_csv

    seen = []
    logits = ConditionalDiscriminator.logits
    monkeypatch.setattr(ConditionalDiscriminator, "logits", lambda d, x, c: seen.append(c.argmax(1)) or logits(d, x, c))
    csv = write_csv(tmp_path / "tiny.csv", *synthetic(64))
    cfg = tiny_run_config(csv, tmp_path, "model=conditional", "loss=rpgan", "penalty.r1=0.1", "data.batch_size=16",
                          "max_updates=2")  # fmt: skip
    fit_trainer(cfg, tmp_path / "r")
    # D's step judges real and fake with one batch of digits (R3GAN's pairing), and G's step the same again
    for update in range(2):
        real, fake, g_real, g_fake = seen[4 * update : 4 * update + 4]
        assert torch.equal(real, fake) and torch.equal(real, g_real) and torch.equal(real, g_fake)
    assert not torch.equal(seen[0], seen[4])  # the labels of two batches


def test_an_infinite_penalty_is_reported_as_ds_penalised_step(tmp_path, monkeypatch):
    from gan.errors import DivergedError

    monkeypatch.setattr(Penalty, "zero_centred", staticmethod(lambda logits, inputs: torch.tensor(float("inf"))))
    with pytest.raises(DivergedError, match="non-finite loss inf in step 'D with its penalties' of update 1"):
        fit_trainer(ring_config(*MODERN, "max_updates=3"), tmp_path / "r")


# --- refused before any work ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (("loss=bce", "penalty.r1=0.1", "data.batch_size=8"), r"penalty.r1=0.1 needs a loss on D's logits"),
        (("loss=rpgan",), r"loss=Relativistic .* the faithful mode \(data.batch_size=1\)"),
        (("schedule=linear",), r"schedule.shape=linear does not apply at data.batch_size=1"),
        (
            ("model=dcgan", "loss=rpgan", "penalty=r1_r2", "trainer.precision=16-mixed"),
            r"trainer.precision=16-mixed with a gradient penalty",
        ),  # fmt: skip
    ],
)
def test_an_objective_that_cannot_apply_is_refused_naming_its_key(overrides, message):
    with pytest.raises(ConfigError, match=message):
        check_config(compose_config(*overrides))


@pytest.mark.parametrize("loss", ["nonsaturating", "hinge", "wgan", "rpgan"])
def test_every_loss_on_logits_trains_a_run_and_writes_its_record(tmp_path, loss):
    summary = train(ring_config(f"loss={loss}", "penalty.gp=1" if loss == "wgan" else "penalty.r1=0.1",
                                "max_updates=20"), tmp_path / "r")  # fmt: skip
    assert summary["updates"] == 20 and summary["final_d_loss"] is not None
    assert (summary["loss_balance"] is None) == (loss != "rpgan")  # a balance point only where D and G share one
    assert (tmp_path / "r" / "loss_progress.png").is_file()


def test_a_decaying_schedule_needs_a_length(tmp_path):
    with pytest.raises(ConfigError, match="has no length"):
        fit_trainer(ring_config(*MODERN, "trainer.max_epochs=-1"), tmp_path / "r")


# --- R3GAN's ramps: each hyperparameter over the images seen ---------------------------------------------------


def test_a_cosine_ramp_has_r3gans_known_values():
    from gan.models.schedules import Ramp

    lr = Ramp(2e-4, 5e-5, 1000)
    assert lr.value(0) == 2e-4 and lr.value(1000) == 5e-5 and lr.value(5000) == 5e-5  # and stays there
    assert lr.value(500) == pytest.approx((2e-4 + 5e-5) / 2)  # half way in images, half way in value
    # R3GAN's cosine_decay_with_warmup(n, base, N, final): base + (1 - 0.5 (1 + cos(pi n / N))) (final - base)
    assert lr.value(250) == pytest.approx(2e-4 + (1 - 0.5 * (1 + math.cos(math.pi / 4))) * (5e-5 - 2e-4))
    beta2 = Ramp(0.9, 0.99, 1000)  # rising
    assert beta2.value(0) == 0.9 and beta2.value(1000) == pytest.approx(0.99) and beta2.value(100) > 0.9
    assert Ramp(1.0, 0.0, 10, "linear").value(3) == pytest.approx(0.7)
    with pytest.raises(ConfigError, match="ramp images=0 is invalid"):
        Ramp(1, 0, 0)


def test_ramps_set_each_optimizers_lr_and_beta2_and_the_ema_decay_from_its_half_life():
    from gan.models.schedules import Ramp, Ramps

    ramps = Ramps(lr=Ramp(2e-4, 5e-5, 1000), beta2=Ramp(0.9, 0.99, 1000), ema_half_life=Ramp(0, 1000, 1000))
    optimizers = [torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=1.0, betas=(0.0, 0.5)) for _ in "dg"]
    ramps.apply(optimizers, 1000)
    for optimizer in optimizers:
        group = optimizer.param_groups[0]
        assert group["lr"] == 5e-5 and group["betas"] == (0.0, pytest.approx(0.99))
    assert ramps.ema_decay(0, 64) == 0.0  # a half-life of 0: the average is G itself
    assert ramps.ema_decay(1000, 64) == pytest.approx(0.5 ** (64 / 1000))  # 1,000 images halve a weight's past


def test_a_ramped_average_moves_by_the_decay_set_before_each_update():
    from gan.models.averaging import GeneratorAverage

    generator = torch.nn.Linear(1, 1, bias=False)
    torch.nn.init.zeros_(generator.weight)
    average = GeneratorAverage(generator, decay=None)  # decay set per update, as ramps.ema_half_life does
    for decay, weight, expected in [(0.0, 1.0, 1.0), (0.5, 3.0, 2.0), (0.75, 6.0, 3.0)]:
        average.decay = decay
        generator.weight.data.fill_(weight)
        average.update_parameters(generator)
        assert average.module.weight.item() == pytest.approx(expected)  # decay * past + (1 - decay) * G


def test_a_run_with_r3gans_ramps_ends_at_their_final_values(tmp_path):
    from gan.models.schedules import Ramp

    budgets = [f"ramps.{k}.images=1000" for k in ("lr", "beta2", "gamma", "ema_half_life")]
    cfg = ring_config("loss=rpgan", "penalty=r1_r2", "ramps=r3gan", "max_images=2000", *budgets)
    trainer, module, *_ = fit_trainer(cfg, tmp_path / "r")
    assert module.state.images == 2000 and module.ema_generator is not None
    for optimizer in trainer.optimizers:  # set before the last update, at 1,900 images: past the ramps' 1,000
        assert optimizer.param_groups[0]["lr"] == 5e-5 and optimizer.param_groups[0]["betas"][1] == pytest.approx(0.99)
    assert module.ema_generator.decay == pytest.approx(0.5 ** (100 / 250_000))
    assert Ramp(0.05, 0.005, 1000).value(1900) == 0.005  # the gamma its last D step used


def test_a_ramp_that_would_fight_another_setting_is_refused():
    for overrides, message in [
        (("ramps=r3gan", "schedule=linear"), "ramps.lr sets the learning rate itself"),
        (("ramps=r3gan", "optimizer=sgd"), "ramps.beta2 ramps Adam's beta2"),
        (("ramps=r3gan", "penalty=none"), "ramps.gamma ramps the strength of R1 and R2"),
        (("ramps=r3gan", "model.ema_decay=0.999"), "ramps.ema_half_life sets the EMA's decay itself"),
    ]:
        with pytest.raises(ConfigError, match=message):
            check_config(compose_config("model=dcgan", "loss=rpgan", "penalty=r1_r2", *overrides))
    with pytest.raises(ConfigError, match="ramps=.* does not apply at data.batch_size=1"):
        check_config(compose_config("ramps=r3gan", "model=improved"))


def test_bce_written_out_for_a_gpu_equals_torchs_and_passes_a_nan_on():
    from gan.models.losses import bce

    probability, target = torch.rand(64, 1).clamp(1e-3, 1 - 1e-3), torch.randint(0, 2, (64, 1)).float()
    expected = torch.nn.functional.binary_cross_entropy(probability, target)
    assert torch.allclose(bce(probability, target), expected, rtol=1e-6)
    assert bce(torch.tensor([[0.0], [1.0]]), torch.tensor([[1.0], [0.0]])) == 100  # torch's clamp of log(0)
    assert bce(torch.tensor([[math.nan]]), torch.ones(1, 1)).isnan()  # no device-side assert: DivergedError names it
