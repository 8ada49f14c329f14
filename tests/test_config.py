from pathlib import Path

import pytest
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf

from gan.config import CONF_DIR as CONF
from gan.models import losses, nets, noise
from gan.training.from_config import build_module
from tests.conftest import ROOT, compose_config, run_script

GROUPS = ["data", "loss", "penalty", "optimizer", "schedule", "noise", "trainer", "model"]
OPTIONS = [(group, path.stem) for group in GROUPS for path in sorted((CONF / group).glob("*.yaml"))]


@pytest.mark.parametrize(("group", "option"), OPTIONS, ids=[f"{g}={o}" for g, o in OPTIONS])
def test_every_option_composes_and_instantiates(group, option):
    required = ["data.train_csv=own.csv"] if (group, option) == ("data", "csv") else []  # data=csv has no default
    cfg = compose_config(f"{group}={option}", *required)
    if group == "model":
        module = build_module(cfg)
        drawn = module.sample(torch.rand(2, module.latent_dim), torch.tensor([3, 7]))
        assert drawn.shape == ((2, 2) if module.draws_points else (2, 784))  # mlp2d: points of the 2D mixtures
    elif group == "optimizer":
        assert isinstance(instantiate(cfg.optimizer)(torch.nn.Linear(2, 2).parameters()), torch.optim.Optimizer)
    elif group == "trainer":
        assert instantiate(cfg.trainer, logger=False, enable_checkpointing=False).max_epochs == cfg.trainer.max_epochs
    else:
        assert instantiate(cfg[group]) is not None


EXPERIMENTS = [path.stem for path in sorted((CONF / "experiment").glob("*.yaml"))]


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_experiment_passes_the_checks_and_builds(experiment):
    from gan.training.config_checks import check_config

    cfg = compose_config(f"experiment={experiment}")
    check_config(cfg)
    module = build_module(cfg)
    assert module.sample(torch.rand(2, module.latent_dim), torch.tensor([3, 7])).shape[0] == 2


def test_under_ramps_lr_optimizer_lr_does_not_change_the_run(tmp_path):
    """The flat MNIST presets leave optimizer.lr at Adam's default: ramps.lr sets the rate before every update, so the
    value the removed modern_mnist_long preset gave it (9e-4) trained the same run."""
    from gan.training.fit import fit_trainer
    from tests.test_objectives import ring_config

    weights = []
    for lr in ("9e-4", "2e-4"):
        cfg = ring_config("loss=rpgan", "penalty=r1_r2", "ramps=lr", "max_images=300", "data.shuffle=false",
                          f"optimizer.lr={lr}")  # fmt: skip
        _, module, *_ = fit_trainer(cfg, tmp_path / lr)
        weights.append(torch.cat([p.detach().flatten() for p in module.parameters()]))
    assert torch.equal(*weights)


def test_baseline_is_the_walkthrough_first_gan():
    cfg = compose_config("model=baseline")
    module = build_module(cfg)
    # D's layers end at its logit; its forward applies the walkthrough's last Sigmoid (nets.Critic)
    assert [type(m) for m in module.discriminator.model] == [torch.nn.Linear, torch.nn.Sigmoid, torch.nn.Linear]
    assert isinstance(module.discriminator, nets.Critic)
    assert [type(m) for m in module.generator.model] == [torch.nn.Linear, torch.nn.Sigmoid] * 2
    assert module.discriminator.model[0].in_features == 784 and module.discriminator.model[2].out_features == 1
    assert module.generator.model[0].in_features == 1 and module.generator.model[2].out_features == 784
    assert isinstance(module.loss, losses.MSELoss) and isinstance(module.noise, noise.Uniform)
    optimizer = module.optimizer(module.generator.parameters())
    assert isinstance(optimizer, torch.optim.SGD) and optimizer.defaults["lr"] == 0.01
    assert cfg.data.batch_size == 1


def test_improved_is_the_walkthrough_improved_gan():
    module = build_module(compose_config("model=improved"))
    for network in (module.discriminator, module.generator):
        layers = network.model
        assert isinstance(layers[1], torch.nn.LeakyReLU) and layers[1].negative_slope == 0.02
        assert isinstance(layers[2], torch.nn.LayerNorm) and layers[2].normalized_shape == (200,)
    assert isinstance(module.generator.model[-1], torch.nn.Sigmoid)
    assert isinstance(module.discriminator.model[-1], torch.nn.Linear)  # its logit; the Sigmoid in Critic.forward
    assert module.latent_dim == 100 and isinstance(module.loss, losses.BCELoss)
    optimizer = module.optimizer(module.generator.parameters())
    assert isinstance(optimizer, torch.optim.Adam) and optimizer.defaults["lr"] == 1e-4
    assert isinstance(optimizer.defaults["betas"], tuple)


@pytest.mark.parametrize(
    ("overrides", "check"),
    [
        (["model=improved", "loss=mse"], lambda m: isinstance(m.loss, losses.MSELoss)),
        (["model=baseline", "noise=randn"], lambda m: isinstance(m.noise, noise.Gaussian)),
        (["model=dcgan", "noise=coded"], lambda m: isinstance(m.noise, noise.CodedGaussian) and m.noise.codes == 10),
        (["model=improved", "model.latent_dim=1"], lambda m: m.generator.model[0].in_features == 1),
        (
            ["model=baseline", "optimizer=adam"],
            lambda m: isinstance(m.optimizer(m.generator.parameters()), torch.optim.Adam),
        ),
    ],
)
def test_each_choice_stays_independently_overridable(overrides, check):
    assert check(build_module(compose_config(*overrides)))


def test_same_seed_same_networks_other_seed_other_networks():
    def built(seed):
        torch.manual_seed(seed)  # as training does with `seed`, just before building
        return build_module(compose_config())

    a, b, c = (built(s) for s in (3, 3, 4))
    assert torch.equal(a.generator.model[0].weight, b.generator.model[0].weight)
    assert not torch.equal(a.generator.model[0].weight, c.generator.model[0].weight)


@pytest.mark.e2e
def test_an_unknown_option_lists_the_valid_ones():
    result = run_script("train.py", "noise=gaussian", cwd=ROOT)
    assert result.returncode != 0
    assert "Could not find 'noise/gaussian'" in result.stderr and "rand" in result.stderr and "randn" in result.stderr


def test_nets_reject_non_positive_sizes():
    with pytest.raises(ValueError, match="hidden_dim"):
        nets.Discriminator(hidden_dim=0)


def test_a_checkpoint_naming_the_modules_before_the_regrouping_still_builds():
    from gan.training.saved_runs import checkpoint_config

    saved = OmegaConf.to_container(compose_config("model=improved"), resolve=True)
    saved["model"]["discriminator"]["_target_"] = "gan.nets.Discriminator"  # as a run trained before saved it
    saved["model"]["generator"]["_target_"] = "gan.nets.Generator"
    saved["loss"]["_target_"], saved["noise"]["_target_"] = "gan.losses.BCELoss", "gan.noise.Uniform"
    saved["data"]["_target_"] = "gan.data.MnistDataModule"
    cfg = checkpoint_config({"config": saved}, Path("run/checkpoints/last.ckpt"))
    assert cfg.model.discriminator._target_ == "gan.models.nets.Discriminator"
    assert cfg.data._target_ == "gan.data.mnist.MnistDataModule"
    build_module(cfg)


ADDED_KEYS = ("model.ema_decay", "max_updates", "max_images", "penalty", "schedule", "metrics.truncation",
              "metrics.drs", "checkpoints.every_minutes", "callbacks")  # fmt: skip


@pytest.mark.parametrize("left_out", ["absent", None], ids=["absent", "null"])
def test_a_config_from_before_keys_were_added_takes_confs_defaults(left_out):
    from gan.training.saved_runs import checkpoint_config

    saved = OmegaConf.to_container(compose_config("model=improved"), resolve=True)
    for key in ADDED_KEYS:  # as a run trained before these keys existed saved its config (or an older load, null)
        *parents, name = key.split(".")
        node = saved
        for parent in parents:
            node = node[parent]
        if left_out == "absent":
            del node[name]
        elif isinstance(node[name], dict) and key != "callbacks":  # an older load saved these parts as null
            node[name] = None
    cfg = checkpoint_config({"config": saved}, Path("run/checkpoints/last.ckpt"))
    defaults = compose_config("model=improved")
    for key in ("penalty", "schedule", "callbacks", "metrics.drs"):  # the parts conf/ gives, doing what it did
        assert OmegaConf.select(cfg, key) == OmegaConf.select(defaults, key), key
    module = build_module(cfg)  # every key read directly: no default filled anywhere else
    assert module.ema_generator is None and not module.penalty.active and module.schedule.constant
    assert module.max_updates is None and module.max_images is None


def test_lightning_s_own_loader_refuses_naming_gan_load(trained_tiny_run):
    from gan.errors import ConfigError
    from gan.models.gan import GAN

    checkpoint = trained_tiny_run / "checkpoints" / "last.ckpt"
    with pytest.raises(ConfigError, match=r"use gan\.load\('.*last\.ckpt'\)"):
        GAN.load_from_checkpoint(checkpoint)


SWEEPS = [path.stem for path in sorted((CONF / "sweep").glob("*.yaml"))]


@pytest.mark.parametrize("sweep", SWEEPS)
def test_every_sweep_composes_passes_the_checks_and_names_real_keys(sweep):
    """A sweep's parameters are Hydra overrides of keys the config already has: a misspelt one would only fail
    when the multirun's first job starts, minutes in (or, for `+key`, add a key no constructor reads)."""
    from gan.training.config_checks import check_config

    cfg = compose_config(f"+sweep={sweep}")
    check_config(cfg)
    params = OmegaConf.load(CONF / "sweep" / f"{sweep}.yaml").hydra.sweeper.get("params") or {}
    groups = {path.name for path in CONF.iterdir() if path.is_dir()}  # a group choice, not a key
    for key in params:
        assert key in groups or OmegaConf.select(cfg, key, default="missing") != "missing", f"{sweep}: {key}"
