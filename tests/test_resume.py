"""Nothing is lost: interruption leaves a checkpoint, resuming equals never stopping, runs repeat exactly."""

import os
import re
import signal
import time

import lightning as L
import pytest
import torch

from gan.training.checkpoints import TrainingInterrupted
from gan.training.fit import train
from tests.conftest import quiet_csv_run, run_script, start_script, tiny_run_config


def config(tiny_csv, tmp_path, *overrides):
    return tiny_run_config(
        tiny_csv, tmp_path, "model=improved", "noise=randn", "data.shuffle=true", "trainer.max_epochs=2", *overrides
    )


def final_weights(run_dir):
    state = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=False)["state_dict"]
    return {k: v for k, v in state.items() if k.startswith(("generator.", "discriminator."))}


def assert_same(a, b):
    assert a.keys() == b.keys()
    for name in a:
        assert torch.equal(a[name], b[name]), f"{name} differs"


class SignalAt(L.Callback):
    """Sends this process a signal after a given chunk, as a user's Ctrl-C or a scheduler's SIGTERM would."""

    def __init__(self, signum, after_chunks):
        self.signum, self.after, self.seen = signum, after_chunks, 0

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        self.seen += 1
        if self.seen == self.after:
            os.kill(os.getpid(), self.signum)  # arrives while this chunk trains


@pytest.mark.e2e
def test_same_config_and_seed_give_identical_weights(tiny_csv, tmp_path):
    cfg = config(tiny_csv, tmp_path)
    train(cfg, tmp_path / "a")
    train(cfg, tmp_path / "b")
    assert_same(final_weights(tmp_path / "a"), final_weights(tmp_path / "b"))


@pytest.mark.e2e
@pytest.mark.parametrize(("signum", "after_chunks"), [(signal.SIGINT, 3), (signal.SIGTERM, 10)])
def test_an_interrupted_run_resumed_equals_an_uninterrupted_one(tiny_csv, tmp_path, monkeypatch, signum, after_chunks):
    cfg = config(tiny_csv, tmp_path)
    train(cfg, tmp_path / "whole")

    import gan.training.fit as train_module

    original = train_module.SaveOnInterrupt
    monkeypatch.setattr(
        train_module, "SaveOnInterrupt", lambda path: _with_signal(original(path), signum, after_chunks)
    )
    with pytest.raises(TrainingInterrupted):
        train(cfg, tmp_path / "split")
    monkeypatch.undo()
    interrupted = torch.load(tmp_path / "split" / "checkpoints" / "last.ckpt", weights_only=False)
    chunk_sizes = ([32] * 6 + [8]) * 2  # 200 rows per epoch in chunks of 32
    # stopped after the signalled chunk
    assert interrupted["gan"]["state"]["updates"] == sum(chunk_sizes[:after_chunks])

    summary = train(cfg, tmp_path / "split", ckpt_path=tmp_path / "split" / "checkpoints" / "last.ckpt")
    assert summary["updates"] == 2 * 200
    assert_same(final_weights(tmp_path / "whole"), final_weights(tmp_path / "split"))
    whole = torch.load(tmp_path / "whole" / "checkpoints" / "last.ckpt", weights_only=False)["gan"]["progress"]
    split = torch.load(tmp_path / "split" / "checkpoints" / "last.ckpt", weights_only=False)["gan"]["progress"]
    assert whole == split  # the loss curves continue where they stopped


class _with_signal(L.Callback):
    """The real SaveOnInterrupt callback plus a signal sent to this process mid-run."""

    def __init__(self, save, signum, after_chunks):
        self.save, self.sender = save, SignalAt(signum, after_chunks)

    def __getattribute__(self, name):
        if name.startswith("on_") or name in ("setup", "teardown"):
            save, sender = object.__getattribute__(self, "save"), object.__getattribute__(self, "sender")

            def both(*args, **kwargs):
                getattr(sender, name)(*args, **kwargs)
                return getattr(save, name)(*args, **kwargs)

            return both
        return object.__getattribute__(self, name)


@pytest.mark.e2e
def test_a_loss_that_blows_up_keeps_the_last_good_checkpoint(tiny_csv, tmp_path, monkeypatch):
    cfg = config(tiny_csv, tmp_path, "data.shuffle=false")
    train(cfg, tmp_path / "good")  # two clean epochs, as a reference for epoch 0's weights

    from gan.models.gan import GAN

    real_count = GAN._count

    def poisoned(self, losses, updates):  # the first chunk of the second epoch produces an Inf loss
        if self.current_epoch == 1:
            losses = losses.clone()
            losses[5, 2] = float("inf")
        return real_count(self, losses, updates)

    monkeypatch.setattr(GAN, "_count", poisoned)
    with pytest.raises(
        FloatingPointError, match=r"non-finite loss inf in step 'G through D' of update 206 \(epoch 1\)"
    ):
        train(cfg, tmp_path / "bad")
    kept = torch.load(tmp_path / "bad" / "checkpoints" / "epoch=0.ckpt", weights_only=False)
    reference = torch.load(tmp_path / "good" / "checkpoints" / "epoch=0.ckpt", weights_only=False)
    assert_same(kept["state_dict"], reference["state_dict"])
    assert all(torch.isfinite(v).all() for v in kept["state_dict"].values())
    assert not list((tmp_path / "bad" / "checkpoints").glob("*.tmp"))


@pytest.mark.e2e
def test_ctrl_c_on_the_script_leaves_a_checkpoint_that_resume_continues(tiny_csv, tmp_path):
    command = [
        "data=csv",
        f"data.train_csv={tiny_csv}",
        f"data.data_dir={tmp_path}",
        "data.chunk_size=8",
        "trainer.max_epochs=1000",
        "trainer.enable_progress_bar=false",
        "metrics.enabled=false",
    ]
    process = start_script("train.py", *command, cwd=tmp_path)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob("lightning_logs/*/*/checkpoints/epoch=0.ckpt")) and time.monotonic() < deadline:
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    run_dir = tmp_path / re.search(r"resume='(.+)'", stdout).group(1)
    updates = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=False)["gan"]["state"]["updates"]
    assert updates >= 200 and updates % 8 == 0

    epochs = updates // 200 + 2
    resumed = run_script("train.py", f"resume='{run_dir}'", f"trainer.max_epochs={epochs}", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert f"run folder: {run_dir}" in resumed.stdout
    last = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=False)
    assert last["gan"]["state"]["updates"] == epochs * 200


@pytest.mark.e2e
def test_a_second_writer_is_refused_naming_the_first_and_the_first_run_is_kept(tiny_csv, tmp_path):
    run_dir = tmp_path / "run"
    command = [*quiet_csv_run(tiny_csv, tmp_path), "trainer.max_epochs=1000", f"hydra.run.dir={run_dir}"]
    first = start_script("train.py", *command, cwd=tmp_path)
    deadline = time.monotonic() + 60
    while not (run_dir / "checkpoints" / "epoch=0.ckpt").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    second = run_script("train.py", f"resume='{run_dir}'", "trainer.max_epochs=2000", cwd=tmp_path)
    assert second.returncode == 1
    assert f"is being trained into by another process (pid {first.pid})" in second.stderr, second.stderr
    assert "Traceback" not in second.stderr
    first.send_signal(signal.SIGINT)  # the first run goes on to the end of its own chunk, saves and stops
    _, stderr = first.communicate(timeout=60)
    assert first.returncode == 130, stderr
    saved = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)
    assert saved["config"]["trainer"]["max_epochs"] == 1000  # the first run's own, not the refused resume's
    assert not (run_dir / ".lock").exists()  # released and removed at the end
