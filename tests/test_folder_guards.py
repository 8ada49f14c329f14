"""Guards on the run folder as it will be: a finished run or a busy one is never trained into, whatever the
command line's spelling of its folder (``${now:...}``, ``..``, a resume sent elsewhere), nothing is written through a
hard link, and a command refused before training leaves a finished run's files as they were."""

import fcntl
import json
import os
import shutil
from pathlib import Path

import pytest
import torch

from tests.conftest import quiet_csv_run, run_script
from tests.test_safety import contents


@pytest.fixture
def finished(trained_tiny_run, tmp_path) -> Path:
    run = tmp_path / "run"
    shutil.copytree(trained_tiny_run, run)
    return run


def train(tmp_path, trained_tiny_run, *args):
    return run_script("train.py", *quiet_csv_run(trained_tiny_run.parent / "tiny.csv", tmp_path), *args, cwd=tmp_path)


def one_line_error(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    return lines[0]


def test_a_run_dir_that_resolves_to_a_finished_run_is_refused(trained_tiny_run, finished, tmp_path):
    before = contents(finished)
    result = train(tmp_path, trained_tiny_run, f"hydra.run.dir={finished}/${{now:%Y}}/..")
    assert "already holds a run's results" in one_line_error(result)
    assert contents(finished) == before and not list(finished.glob("20*"))


def test_a_run_dir_that_resolves_to_a_busy_run_is_refused(trained_tiny_run, tmp_path):
    busy = tmp_path / "busy"
    busy.mkdir()
    with open(busy / ".lock", "w") as lock:  # another process trains into it (this test process holds its lock)
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = train(tmp_path, trained_tiny_run, f"hydra.run.dir={busy}/${{now:%Y}}/..")
    assert "another process" in one_line_error(result)
    assert sorted(p.name for p in busy.iterdir()) == [".lock"]


def test_a_sweep_job_that_resolves_to_a_finished_run_is_refused(trained_tiny_run, tmp_path):
    sweep = tmp_path / "sweep"
    shutil.copytree(trained_tiny_run, sweep / "0")
    before = contents(sweep)
    result = train(tmp_path, trained_tiny_run, "-m", f"hydra.sweep.dir={sweep}/${{now:%Y}}/..", "hydra.sweep.subdir=0")
    assert result.returncode == 1 and "already holds" in result.stderr, result.stderr
    assert contents(sweep) == before


def test_a_resume_sent_to_another_run_dir_is_refused(trained_tiny_run, finished, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(trained_tiny_run, other)
    before, before_other = contents(finished), contents(other)
    result = train(tmp_path, trained_tiny_run, f"resume={finished}", f"hydra.run.dir={other}", "trainer.max_epochs=2")
    assert "would send it elsewhere" in one_line_error(result)
    assert contents(finished) == before and contents(other) == before_other


@pytest.mark.parametrize("entry", [".lock", "train.log"])
def test_a_hard_link_in_a_run_folder_is_never_written_through(trained_tiny_run, finished, tmp_path, entry):
    users = tmp_path / "users_file.txt"
    users.write_text("my notes\n")
    (finished / entry).unlink(missing_ok=True)
    os.link(users, finished / entry)
    result = run_script("train.py", f"resume={finished}", "trainer.max_epochs=2", cwd=tmp_path)
    assert "hard link" in one_line_error(result)
    assert users.read_text() == "my notes\n"


def test_a_resume_refused_before_training_keeps_the_finished_runs_status(trained_tiny_run, finished, tmp_path):
    last = finished / "checkpoints" / "last.ckpt"
    saved = torch.load(last, weights_only=True)
    saved["config"]["data"]["train_csv"] = str(tmp_path / "gone.csv")  # the run's CSV is no longer there
    torch.save(saved, last)
    before = contents(finished)
    assert json.loads((finished / "status.json").read_text())["status"] == "finished"
    result = run_script("train.py", f"resume={finished}", "trainer.max_epochs=2", cwd=tmp_path)
    assert "gone.csv" in one_line_error(result)
    assert contents(finished) == before
