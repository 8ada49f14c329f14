"""Precision you can trust: D's probability in float32 under any autocast, bf16's penalties within a stated
tolerance of float32, and the shipped update combinations (the DCGAN's, R3GAN's ramps) bit for bit against plain
PyTorch loops."""

import lightning as L
import pytest
import torch

from gan.models import nets
from gan.models.losses import BCELoss
from gan.models.penalties import Penalty
from gan.training.fit import fit_trainer
from gan.training.from_config import build_module
from tests.conftest import tiny_run_config
from tests.test_objectives import plain_steps, ring_config


def confident_discriminator() -> nets.Discriminator:
    """An MLP D whose logits lie between about 6.5 and 7.5 (probability near 0.999): the issue's probe."""
    torch.manual_seed(0)
    d = nets.Discriminator(leaky_slope=0.2)
    with torch.no_grad():
        d.model[-1].weight.mul_(5.0)  # logits' spread about 0.3
        d.model[-1].bias.add_(7.0 - d.model[-1].bias)
    return d


def test_ds_probability_is_float32_under_cpu_autocast():
    d, images = confident_discriminator(), torch.rand(64, 784)
    exact = d(images)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        probability = d(images)
        loss = BCELoss()(probability, torch.ones_like(probability))
    assert probability.dtype == torch.float32
    # in bf16, 64 probabilities near 0.999 collapse to about 2 values; from bf16 logits, as many as those hold
    assert probability.unique().numel() >= 8
    assert (probability - exact).abs().max() < 1e-4  # within what bf16 logits near 7 allow (2**-5 x 0.001)
    exact_loss = BCELoss()(exact, torch.ones_like(exact))
    assert loss.item() == pytest.approx(exact_loss.item(), rel=0.05)  # in bf16: 0.00049 against 0.0014


def test_a_penalised_d_step_in_bf16_is_within_two_percent_of_float32():
    """R1 through a DCGAN D (R3GAN also runs its penalty in low precision): D's weight gradient of loss + R1 in bf16
    autocast against float32, as the relative norm of their difference: 0.4% here; the stated tolerance is 2%."""
    torch.manual_seed(0)
    d = nets.ConvDiscriminator(channels=32, batch_norm=False, refine=1)
    real = torch.rand(64, 784)

    def gradient(autocast: bool) -> torch.Tensor:
        d.zero_grad()
        x = real.clone().requires_grad_(True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            logits = d.logits(x)
            loss = torch.nn.functional.softplus(-logits.float()).mean() + 0.05 / 2 * Penalty.zero_centred(logits, x)
        loss.backward()
        return torch.cat([p.grad.flatten() for p in d.parameters()])

    exact, bf16 = gradient(False), gradient(True)
    error = ((bf16 - exact).norm() / exact.norm()).item()
    assert 0 < error < 0.02, error


def test_the_dcgan_update_takes_one_d_step_on_the_summed_loss(tiny_csv, tmp_path):
    """model=dcgan: D steps once on loss(D(x), 1) + loss(D(G(z)), 0), then G through D on the same fakes, as
    pytorch/examples dcgan/main.py does; Lightning counts two optimizer steps per update."""
    cfg = tiny_run_config(tiny_csv, tmp_path, "model=dcgan", "data.batch_size=16", "data.shuffle=false",
                          "max_updates=4", "model.discriminator.batch_norm=false")  # fmt: skip
    trainer, module, data, *_ = fit_trainer(cfg, tmp_path / "r")
    assert module.updates == 4 and trainer.global_step == 8

    L.seed_everything(cfg.seed, verbose=False)
    plain = build_module(cfg)
    D, G, noise, bce = plain.discriminator, plain.generator, plain.noise, torch.nn.BCELoss()
    opt_d, opt_g = plain.optimizer(D.parameters()), plain.optimizer(G.parameters())
    for real in data.train_set.images.split(16)[:4]:
        fake = G(noise(16, G.latent_dim))
        out_real = D(real)
        d_loss = bce(out_real, torch.ones_like(out_real)) + bce(D(fake.detach()), torch.zeros_like(out_real))
        ones = torch.ones_like(out_real)
        plain_steps(D, opt_d, d_loss, opt_g, lambda fake=fake, ones=ones: bce(D(fake), ones))
    for (name, trained), reference in zip(module.named_parameters(), plain.parameters(), strict=True):
        assert torch.equal(trained, reference), name


def test_r3gans_ramps_act_inside_the_update_bit_for_bit(tmp_path):
    """ramps=r3gan over 4 updates of 100 points: gamma inside R1 and R2, beta2 inside Adam, lr, and the EMA's decay
    from its half-life, each at the images seen before the update, against a plain loop."""
    cfg = ring_config("loss=rpgan", "penalty=r1_r2", "ramps=r3gan", "max_images=400", "data.shuffle=false",
                      "model.generator.batch_norm=false")  # fmt: skip
    _, module, data, *_ = fit_trainer(cfg, tmp_path / "r")
    ramps = build_module(cfg).ramps

    L.seed_everything(cfg.seed, verbose=False)
    plain = build_module(cfg)
    D, G, noise = plain.discriminator, plain.generator, plain.noise
    opt_d, opt_g = plain.optimizer(D.parameters()), plain.optimizer(G.parameters())
    ema = None
    for update, real in enumerate(data.train_set.images.split(100)[:4]):
        seen = 100 * update
        for optimizer in (opt_d, opt_g):
            group = optimizer.param_groups[0]
            group["lr"], group["betas"] = ramps.lr.value(seen), (group["betas"][0], ramps.beta2.value(seen))
        gamma = ramps.gamma.value(seen)
        with torch.no_grad():
            fake = G(noise(100, G.latent_dim))
        real_in, fake_in = real.clone().requires_grad_(True), fake.requires_grad_(True)
        d_real, d_fake = D.logits(real_in), D.logits(fake_in)
        d_loss = torch.nn.functional.softplus(d_fake - d_real).mean()
        (g_real,) = torch.autograd.grad(d_real.sum(), real_in, create_graph=True)
        (g_fake,) = torch.autograd.grad(d_fake.sum(), fake_in, create_graph=True)
        d_loss = d_loss + gamma / 2 * g_real.square().sum(1).mean() + gamma / 2 * g_fake.square().sum(1).mean()

        def g_loss(real=real):
            return torch.nn.functional.softplus(D.logits(real) - D.logits(G(noise(100, G.latent_dim)))).mean()

        plain_steps(D, opt_d, d_loss, opt_g, g_loss)
        half_life = ramps.ema_half_life.value(seen)
        decay = 0.0 if half_life <= 0 else 0.5 ** (100 / half_life)
        weights = [p.detach().clone() for p in G.parameters()]
        ema = weights if ema is None else [e.lerp(w, 1 - decay) for e, w in zip(ema, weights, strict=True)]
    for (name, trained), reference in zip(module.named_parameters(), plain.parameters(), strict=True):
        if not name.startswith("ema_generator"):
            assert torch.equal(trained, reference), name
    averaged = list(module.ema_generator.module.parameters())
    assert all(torch.equal(a, e) for a, e in zip(averaged, ema, strict=True))


def test_a_gamma_ramp_with_a_decaying_schedule_is_refused():
    from gan.errors import ConfigError
    from gan.training.config_checks import check_config

    cfg = ring_config("loss=rpgan", "penalty=r1_r2", "ramps=r3gan", "ramps.lr=null", "schedule=linear")
    with pytest.raises(ConfigError, match="ramps.gamma ramps R1's and R2's strength itself: schedule=linear"):
        check_config(cfg)


def test_infogans_term_is_its_own_series_and_gs_loss_leaves_it_out(tmp_path):
    from tests.test_information import coded_ring

    cfg = coded_ring("max_updates=3", "data.shuffle=false", "trainer.log_every_n_steps=1")
    trainer, module, *_ = fit_trainer(cfg, tmp_path / "r")
    assert module.last_information is not None and module.last_information > 0
    assert "loss/info" in trainer.logged_metrics and "loss/G" in trainer.logged_metrics
    g_recorded = module.last_losses[1]
    assert g_recorded == pytest.approx(trainer.logged_metrics["loss/G"].item())
