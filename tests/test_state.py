"""The project owns its training state: one sampling path, honest limits and precision, no Lightning internals."""

import io
import re
import subprocess

import numpy as np
import pytest
import torch
from PIL import Image

from gan.data.pictures import tile
from gan.training.config_checks import check_config
from gan.training.fit import train
from gan.training.saved_runs import load_run
from tests.conftest import ROOT, compose_config, run_script, synthetic, tiny_run_config, write_csv


def test_gan_reads_no_lightning_loop_internals():
    """Lightning's loops and progress counters are private; a reach into them breaks on an upgrade."""
    internals = r"fit_loop|epoch_loop|(optim_step|batch|epoch)_progress|_progress\.(current|total|increment)"
    found = subprocess.run(
        ["grep", "-rnE", internals, "gan/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout
    assert found == "", found


def _dcgan(csv, test_csv, data_dir, *overrides):
    return tiny_run_config(
        csv,
        data_dir,
        "model=dcgan",
        "model.discriminator.channels=4",
        "model.generator.channels=4",
        f"data.test_csv={test_csv}",
        "data.batch_size=10",
        "data.shuffle=false",
        "trainer.max_epochs=2",
        "metrics.samples=50",
        *overrides,
    )


@pytest.fixture
def tiny_pair(tmp_path):
    return write_csv(tmp_path / "train.csv", *synthetic(100, 1)), write_csv(tmp_path / "test.csv", *synthetic(60, 2))


def test_metrics_do_not_change_training_of_a_batchnorm_model(tiny_pair, tmp_path):
    """The judge's samples are drawn in eval mode: BatchNorm's running statistics are neither used nor updated."""
    train(_dcgan(*tiny_pair, tmp_path, "metrics.enabled=false"), tmp_path / "off")
    summary = train(_dcgan(*tiny_pair, tmp_path, "metrics.enabled=true"), tmp_path / "on")
    assert len(summary["metrics_per_epoch"]) == 2  # measured after each epoch, including mid-run
    off, on = (
        torch.load(tmp_path / r / "checkpoints" / "last.ckpt", weights_only=False)["state_dict"] for r in ("off", "on")
    )
    assert off.keys() == on.keys() and any("running_mean" in k for k in off)
    for key in off:
        assert torch.equal(off[key], on[key]), f"{key} differs with metrics on"


@pytest.mark.e2e
def test_the_panel_shows_what_generate_draws_for_the_same_seeds(tiny_pair, tmp_path):
    run = tmp_path / "run"
    train(_dcgan(*tiny_pair, tmp_path, "metrics.enabled=false", "trainer.max_epochs=1"), run)
    done = run_script("generate.py", run, "--no-judge", "samples", cwd=ROOT)
    assert done.returncode == 0, done.stderr
    generated = torch.load(run / "generated" / "samples.pt", weights_only=False)["images"]
    module, _, _ = load_run(run)
    assert torch.equal(module.sample(module.fixed_noise), generated)  # seeds 0..5, the same path, eval mode

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run), size_guidance={"images": 0})
    events.Reload()
    panel = np.asarray(Image.open(io.BytesIO(events.Images("samples")[-1].encoded_image_string)))
    first_row = panel[:56:2, : 6 * 56 : 2, 0].astype(float)  # the 8x8 panel at twice the size: seeds 0..5 first
    expected = (tile(generated, 1, 6)[0] * 255).round()
    assert np.abs(first_row - expected.numpy()).max() <= 1  # PNG: 8 bits a pixel


def test_loading_a_run_leaves_the_callers_rng_alone(tiny_csv, tmp_path):
    train(tiny_run_config(tiny_csv, tmp_path, "max_updates=32"), tmp_path / "run")
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    load_run(tmp_path / "run")
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize(
    "override", ["trainer.precision=bf16-mixed", "trainer.max_steps=30", "trainer.limit_train_batches=2"]
)
def test_trainer_flags_the_faithful_mode_cannot_honour_are_refused_at_batch_size_1(override):
    key, value = override.lstrip("+").split("=")
    with pytest.raises(ValueError, match=re.escape(f"{key}={value} does not apply at data.batch_size=1")):
        check_config(compose_config(override))
    check_config(compose_config(override, "data.batch_size=8"))  # batched: Lightning's own meaning


@pytest.mark.parametrize("override", ["+trainer.accumulate_grad_batches=4", "+trainer.gradient_clip_val=1.0"])
def test_what_manual_optimization_does_not_do_is_refused(override):
    with pytest.raises(ValueError, match=re.escape(override.lstrip("+").split("=")[0])):
        check_config(compose_config(override, "data.batch_size=8"))


@pytest.mark.parametrize(
    ("overrides", "updates", "images"),
    [
        (["max_updates=45"], 45, 45),  # mid-chunk (chunks of 32), mid-epoch
        (["max_updates=250", "trainer.max_epochs=3"], 250, 250),  # in the second epoch
        (["max_images=95", "data.batch_size=10"], 10, 100),  # whole updates until 95 images are seen
    ],
)
def test_training_stops_at_max_updates_or_max_images(tiny_csv, tmp_path, overrides, updates, images):
    summary = train(tiny_run_config(tiny_csv, tmp_path, *overrides), tmp_path / "run")
    assert (summary["updates"], summary["images"]) == (updates, images)
    state = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", weights_only=False)["gan"]["state"]
    assert (state["updates"], state["images"]) == (updates, images)
