"""What `resume=` may change (run_folders.RESUME_MAY_CHANGE: limits, epochs, threads, the bar, the checkpoint interval)
and what it refuses before any work; a finished run resumed with nothing to do is left as it was."""

import json

import pytest
import torch

from gan.training.run_folders import RESUME_MAY_CHANGE
from tests.conftest import quiet_csv_run, run_script, synthetic, write_csv


def _run(tmp_path, tiny_csv, *extra):
    result = run_script("train.py", *quiet_csv_run(tiny_csv, tmp_path), *extra, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (folder,) = [p.parent for p in tmp_path.glob("lightning_logs/*/*/summary.json")]
    return folder


def _resume(folder, *extra, cwd):
    return run_script("train.py", f"resume='{folder}'", *extra, cwd=cwd)


@pytest.mark.e2e
def test_a_resume_refuses_every_change_to_what_the_run_computes(tiny_csv, tmp_path):
    folder = _run(tmp_path, tiny_csv)
    other = write_csv(tmp_path / "other.csv", *synthetic(50, seed=1))
    before = sorted(p.name for p in folder.iterdir())
    for change in ("model.latent_dim=100", f"data.train_csv={other}", "model=dcgan", "optimizer.lr=0.5"):
        result = _resume(folder, change, "trainer.max_epochs=3", cwd=tmp_path)
        assert result.returncode == 1, change
        assert f"{change.split('=')[0]}=" in result.stderr and "would change it" in result.stderr
        assert sorted(p.name for p in folder.iterdir()) == before  # not even a resume record is left
    assert not list(folder.glob(".hydra-resume-*"))


@pytest.mark.e2e
def test_a_resume_may_extend_a_run_started_with_a_limit(tiny_csv, tmp_path):
    folder = _run(tmp_path, tiny_csv, "max_updates=50")
    result = _resume(folder, "max_updates=120", "threads=1", "checkpoints.every_minutes=5", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads((folder / "summary.json").read_text())["updates"] == 120
    saved = torch.load(folder / "checkpoints" / "last.ckpt", weights_only=True)
    assert saved["config"]["max_updates"] == 120  # the run's config records what it now is
    # the same value as the run's own is no change
    assert _resume(folder, "max_updates=150", "seed=0", cwd=tmp_path).returncode == 0
    assert {"max_updates", "max_images", "trainer.max_epochs", "threads"} <= RESUME_MAY_CHANGE


@pytest.mark.e2e
def test_a_finished_run_resumed_with_nothing_to_do_says_so_and_changes_nothing(tiny_csv, tmp_path):
    folder = _run(tmp_path, tiny_csv)
    files = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    result = _resume(folder, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "nothing to do" in result.stdout
    after = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert after == files  # summary.json, events, checkpoints, train.log: byte for byte; no new file


def test_a_run_extended_past_its_limit_equals_one_run_to_the_larger_limit(tiny_csv, tmp_path):
    from gan.training.fit import train
    from tests.conftest import tiny_run_config

    def weights(folder):
        state = torch.load(folder / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
        return {k: v for k, v in state.items() if k.startswith(("generator.", "discriminator."))}

    train(tiny_run_config(tiny_csv, tmp_path, "max_updates=120"), tmp_path / "whole")
    train(tiny_run_config(tiny_csv, tmp_path, "max_updates=50"), tmp_path / "parts")
    extended = tiny_run_config(tiny_csv, tmp_path, "max_updates=120")
    train(extended, tmp_path / "parts", ckpt_path=tmp_path / "parts" / "checkpoints" / "last.ckpt")
    whole, parts = weights(tmp_path / "whole"), weights(tmp_path / "parts")
    assert all(torch.equal(whole[k], parts[k]) for k in whole)
