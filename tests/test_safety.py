"""The two promises a user's files rely on: a failed command removes only what it created itself, and no file
this project opens (checkpoint, judge, cache) can run code."""

import os
import pickle
import shutil
from pathlib import Path

import pytest
import torch

from gan.file_safety import UnsafeFileError, load_tensors
from gan.training.fit import train
from gan.training.run_folders import run_name
from gan.training.saved_runs import load_run
from tests.conftest import quiet_csv_run, run_script, tiny_run_config


class RunsCode:
    """Unpickling this runs ``touch <marker>``: what a crafted checkpoint would do."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def crafted(path: Path, marker: Path, around: dict | None = None) -> Path:
    """A file that runs a shell command when unpickled the unsafe way, inside an otherwise plausible checkpoint."""
    torch.save({**(around or {}), "payload": RunsCode(marker)}, path)
    return path


# --- a failed command never removes what it did not create ---------------------------------------------------


@pytest.mark.parametrize("existing", ["userdir", "empty", "."])
def test_a_failed_command_leaves_an_existing_run_dir_and_its_files(tiny_csv, tmp_path, existing):
    folder = tmp_path / existing
    folder.mkdir(exist_ok=True)
    if existing != "empty":
        (folder / "a.txt").write_text("x")
        (folder / ".git").mkdir(exist_ok=True)  # as in a checkout: hydra.run.dir=. must not delete it
        (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    result = run_script(
        "train.py", f"hydra.run.dir={existing}", "model.pack=0", *quiet_csv_run(tiny_csv, tmp_path), cwd=tmp_path
    )
    assert result.returncode == 1 and "model.pack=0 is invalid" in result.stderr
    assert folder.is_dir()
    if existing != "empty":
        assert (folder / "a.txt").read_text() == "x" and (folder / ".git" / "HEAD").is_file()
    assert tiny_csv.is_file()


def test_a_failed_sweep_job_keeps_an_existing_sweep_dir(tiny_csv, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    result = run_script(
        "train.py",
        "-m",
        "hydra.sweep.dir=mine",
        "hydra.sweep.subdir=.",
        "model.pack=0",
        *quiet_csv_run(tiny_csv, tmp_path),
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep"


def test_a_failed_new_run_removes_the_folders_it_made_and_only_those(tiny_csv, tmp_path):
    (tmp_path / "lightning_logs" / "older").mkdir(parents=True)  # existed before: stays, even though empty
    result = run_script("train.py", "model.pack=0", *quiet_csv_run(tiny_csv, tmp_path), cwd=tmp_path)
    assert result.returncode == 1
    assert [p.name for p in (tmp_path / "lightning_logs").iterdir()] == ["older"]


def test_names_from_the_config_never_leave_their_folder(tiny_csv, tmp_path):
    name = run_name("data.class_names=[x,a/../../../ESC,b/c],seed=1")
    assert "/" not in name and "\\" not in name
    result = run_script("train.py", *quiet_csv_run(tiny_csv, tmp_path), "data.name=../../JUDGE", cwd=tmp_path)
    assert result.returncode == 1 and "data.name=../../JUDGE is invalid" in result.stderr
    assert not (tmp_path.parent / "JUDGE").exists()


def test_a_loose_checkpoint_s_outputs_go_beside_it(tiny_csv, tmp_path):
    train(tiny_run_config(tiny_csv, tmp_path), tmp_path / "run")
    loose = tmp_path / "some" / "dir" / "copy.ckpt"
    loose.parent.mkdir(parents=True)
    shutil.copy(tmp_path / "run" / "checkpoints" / "last.ckpt", loose)
    result = run_script("generate.py", loose, "--no-judge", "samples", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (loose.parent / "generated" / "samples.png").is_file()
    assert not (tmp_path / "some" / "generated").exists()


# --- no file runs code ---------------------------------------------------------------------------------------


def test_load_tensors_refuses_a_pickled_object_without_running_it(tmp_path):
    marker = tmp_path / "ran"
    path = crafted(tmp_path / "evil.pt", marker)
    with pytest.raises(UnsafeFileError, match="would run code"):
        load_tensors(path)
    assert not marker.exists()
    with pytest.raises(pickle.UnpicklingError):  # the check is torch's own: weights_only=True
        torch.load(path, weights_only=True)
    assert not marker.exists()


@pytest.mark.parametrize(
    "command",
    [
        ("evaluate.py", "{ckpt}"),
        ("generate.py", "{ckpt}", "samples"),
        ("train.py", "resume={ckpt}"),
    ],
)
def test_a_crafted_checkpoint_is_refused_by_every_script_and_runs_nothing(tiny_csv, tmp_path, command):
    train(tiny_run_config(tiny_csv, tmp_path), tmp_path / "run")
    saved = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", weights_only=True)
    marker = tmp_path / "ran"
    evil = crafted(tmp_path / "evil.ckpt", marker, around=saved)
    script, *args = command
    result = run_script(script, *(a.format(ckpt=evil) for a in args), cwd=tmp_path)
    assert result.returncode == 1
    assert "would run code" in result.stderr and "Traceback" not in result.stderr
    assert not marker.exists()


def test_lightning_reads_checkpoints_through_the_safe_loader(tiny_csv, tmp_path):
    from gan.training.checkpoints import AtomicCheckpointIO

    marker = tmp_path / "ran"
    evil = crafted(tmp_path / "evil.ckpt", marker)
    with pytest.raises(UnsafeFileError):
        AtomicCheckpointIO().load_checkpoint(evil, weights_only=False)  # whatever the caller asks
    assert not marker.exists()


def test_a_crafted_cache_or_judge_is_set_aside_and_made_again_without_running(tiny_csv, tmp_path):
    from gan.data.csv_files import load_csv
    from gan.evaluation.judge import ensure_judge

    labels, pixels = load_csv(tiny_csv, tmp_path / "cache")
    (cache,) = (tmp_path / "cache").glob("*.pt")
    marker = tmp_path / "ran"
    crafted(cache, marker)
    again = load_csv(tiny_csv, tmp_path / "cache")
    assert torch.equal(again[1], pixels) and not marker.exists()
    assert cache.with_name(cache.name + ".broken").is_file() and cache.is_file()

    judge_path = tmp_path / "judge.pt"
    crafted(judge_path, marker)
    judge, about = ensure_judge(tiny_csv, tiny_csv, tmp_path / "cache", "tiny", tmp_path, judge_path, log=lambda _: 0)
    assert not marker.exists() and "judge_accuracy" in about
    assert judge_path.with_name("judge.pt.broken").is_file()


@pytest.mark.parametrize("damage", [b"", b"\x00" * 100, os.urandom(4096)])
def test_a_corrupt_cache_is_set_aside_with_one_warning_and_rebuilt(tiny_csv, tmp_path, damage, caplog):
    from gan.data.csv_files import load_csv

    pixels = load_csv(tiny_csv, tmp_path / "cache")[1]
    (cache,) = (tmp_path / "cache").glob("*.pt")
    cache.write_bytes(damage)
    assert torch.equal(load_csv(tiny_csv, tmp_path / "cache")[1], pixels)
    assert [r.message for r in caplog.records if "does not load" in r.message]


def test_evaluate_and_generate_fall_back_from_a_truncated_last_checkpoint(tiny_csv, tmp_path):
    train(tiny_run_config(tiny_csv, tmp_path, "trainer.max_epochs=2"), tmp_path / "run")
    last = tmp_path / "run" / "checkpoints" / "last.ckpt"
    last.write_bytes(last.read_bytes()[:1000])
    module, cfg, checkpoint = load_run(tmp_path / "run")
    assert checkpoint.name == "epoch=1.ckpt" and module.updates == 0  # weights only: the state is for resume
    result = run_script("generate.py", tmp_path / "run", "--no-judge", "samples", cwd=tmp_path)
    assert result.returncode == 0 and "does not load" in result.stderr, result.stderr
