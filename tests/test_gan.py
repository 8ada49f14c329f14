"""gan/models/gan.py: batched models train the way Lightning documents manual optimization, so the Trainer's
flags (max_steps, limit_train_batches, precision) and a user's callbacks mean what Lightning's docs say."""

import subprocess

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from gan.models.faithful import FaithfulGAN
from gan.models.gan import GAN
from gan.training.fit import fit_trainer, train
from gan.training.from_config import build_module
from tests.conftest import ROOT, compose_config, quiet_csv_run, run_script, tiny_run_config

BATCHED = ("data.batch_size=8", "data.shuffle=true")


def test_batch_size_picks_the_faithful_loop_or_lightnings_way():
    assert type(build_module(compose_config())) is FaithfulGAN
    assert type(build_module(compose_config("data.batch_size=8"))) is GAN


def test_only_the_faithful_mode_steps_the_raw_optimizers():
    found = subprocess.run(
        ["grep", "-rln", r"optimizer\.optimizer\|Tensor\.backward", "gan/"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    assert found == ["gan/models/faithful.py"]


def test_lightning_counts_three_optimizer_steps_per_update_and_max_steps_stops_there(tiny_csv, tmp_path):
    trainer, module, *_ = fit_trainer(
        tiny_run_config(tiny_csv, tmp_path, *BATCHED, "trainer.max_steps=30"), tmp_path / "r"
    )
    assert module.updates == 10 and trainer.global_step == 30


def test_limit_train_batches_counts_updates_in_each_epoch(tiny_csv, tmp_path):
    cfg = tiny_run_config(tiny_csv, tmp_path, *BATCHED, "trainer.limit_train_batches=4", "trainer.max_epochs=2")
    trainer, module, *_ = fit_trainer(cfg, tmp_path / "r")
    assert module.updates == 8 and module.state.images == 8 * 8 and trainer.current_epoch == 2


def test_batched_losses_reach_tensorboard_through_self_log_on_the_images_axis(tiny_csv, tmp_path):
    train(tiny_run_config(tiny_csv, tmp_path, *BATCHED, "log_every=2", "max_updates=10"), tmp_path / "r")
    events = EventAccumulator(str(tmp_path / "r")).Reload()
    steps = [e.step for e in events.Scalars("loss/G")]
    assert steps == [16, 32, 48, 64, 80]  # every 2nd update of 8 images
    assert all(torch.isfinite(torch.tensor(e.value)) for e in events.Scalars("loss/D"))


def test_bf16_mixed_precision_trains_a_batched_dcgan(tiny_csv, tmp_path):
    cfg = tiny_run_config(
        tiny_csv, tmp_path, "model=dcgan", "data.batch_size=16", "max_updates=4", "trainer.precision=bf16-mixed"
    )
    trainer, module, *_ = fit_trainer(cfg, tmp_path / "r")
    assert trainer.precision == "bf16-mixed" and module.updates == 4
    assert all(p.dtype == torch.float32 and torch.isfinite(p).all() for p in module.parameters())


@pytest.mark.e2e
def test_a_callback_added_on_the_command_line_runs(tiny_csv, tmp_path):
    result = run_script(
        "train.py",
        *quiet_csv_run(tiny_csv, tmp_path),
        *BATCHED,
        "callbacks=lr_monitor",
        "trainer.max_epochs=2",
        "hydra.run.dir=run",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    tags = EventAccumulator(str(tmp_path / "run")).Reload().Tags()["scalars"]
    assert {"lr-Adam", "lr-Adam-1"} <= set(tags) or {"lr-SGD", "lr-SGD-1"} <= set(tags), tags


def ring_run(*overrides: str):
    """A short 2D run whose judge-free metrics (metrics/kl, ...) a callback can monitor: 4 updates per epoch."""
    return compose_config(
        "model=mlp2d",
        "data=ring8",
        "data.samples=400",
        "metrics.enabled=true",
        "metrics.samples=200",
        "trainer.enable_progress_bar=false",
        *overrides,
    )


def test_early_stopping_on_a_metric_stops_the_run(tmp_path):
    cfg = ring_run(
        "trainer.max_epochs=5",
        "callbacks=early_stopping",
        "callbacks.early_stopping.monitor=metrics/kl",
        "callbacks.early_stopping.stopping_threshold=1000",  # any KL is below it: stop after the first epoch
    )
    trainer, module, *_ = fit_trainer(cfg, tmp_path / "r")
    assert trainer.current_epoch == 1 and module.updates == 4  # 400 points in batches of 100: one epoch


def test_a_checkpoint_on_a_metric_is_kept_beside_the_runs_own(tmp_path):
    cfg = ring_run(
        "trainer.max_epochs=3",
        "callbacks=best_checkpoint",
        "callbacks.best_checkpoint.monitor=metrics/kl",
    )
    trainer, *_ = fit_trainer(cfg, tmp_path / "r")
    (best,) = (tmp_path / "r" / "checkpoints").glob("best-epoch=*.ckpt")
    kept = torch.load(best, weights_only=False)
    assert kept["gan"]["state"]["updates"] == 4 * (kept["epoch"] + 1)  # the project's state rides along
    assert (tmp_path / "r" / "checkpoints" / "last.ckpt").is_file() and trainer.current_epoch == 3


@pytest.mark.e2e
@pytest.mark.parametrize("flag", ["trainer.max_steps=30", "trainer.precision=bf16-mixed"])
def test_the_faithful_mode_refuses_lightnings_step_flags_before_any_work(tiny_csv, tmp_path, flag):
    result = run_script("train.py", *quiet_csv_run(tiny_csv, tmp_path), flag, cwd=tmp_path)
    assert result.returncode == 1 and "does not apply at data.batch_size=1" in result.stderr
    assert not (tmp_path / "lightning_logs").exists()  # the run folder it made is gone again


def test_a_batched_run_equals_a_plain_pytorch_loop_bit_for_bit(tiny_csv, tmp_path):
    """Lightning's wrappers (LightningOptimizer, manual_backward, the toggles) add no arithmetic of their own."""
    import lightning as L

    from gan.models.walkthrough import plain_batched_epoch

    cfg = tiny_run_config(tiny_csv, tmp_path, "model=improved", "noise=randn", "data.batch_size=16")
    _, module, data, *_ = fit_trainer(cfg, tmp_path / "r")

    L.seed_everything(cfg.seed, verbose=False)
    plain = build_module(cfg)
    plain_batched_epoch(plain, data.train_set.images, 16)  # file order; the last batch is short (200 = 12 x 16 + 8)
    for trained, reference in zip(module.parameters(), plain.parameters(), strict=True):
        assert torch.equal(trained, reference)
