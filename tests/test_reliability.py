"""Faults tried as a user would meet them: a hard kill, a truncated checkpoint, leftovers of a killed write, bad
values and CSVs, awkward paths, a failed resume, a copied checkpoint, two runs at once, a cache that cannot be
written, a full disk. Each loses at most what it must, and says what happened."""

import gzip
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import warnings

import pytest
import torch
from omegaconf import OmegaConf

from gan.data.csv_files import CsvFormatError, load_csv, read_csv
from gan.file_safety import atomic_path, remove_stale_temporaries
from gan.models.faithful import FaithfulGAN
from gan.models.gan import GAN
from gan.training.fit import train
from gan.training.run_folders import run_dir, run_name
from gan.training.saved_runs import load_run, resumable_checkpoint
from tests.conftest import (
    quiet_csv_run,
    run_script,
    start_script,
    synthetic,
    tiny_run_config,
    write_csv,
)


def _script(*args, cwd, timeout=120):
    return run_script("train.py", *args, cwd=cwd, timeout=timeout)


def _weights(path):
    state = torch.load(path, weights_only=False)["state_dict"]
    return {k: v for k, v in state.items() if k.startswith(("generator.", "discriminator."))}


# --- crashes lose at most the checkpoint interval ---------------------------------------------------------------


@pytest.mark.e2e
def test_kill_9_mid_epoch_0_leaves_a_periodic_checkpoint_that_resumes(tiny_csv, tmp_path):
    command = [*quiet_csv_run(tiny_csv, tmp_path), "trainer.max_epochs=1000", "checkpoints.every_minutes=0.0001"]
    process = start_script("train.py", *command, cwd=tmp_path)
    deadline = time.monotonic() + 90
    while not list(tmp_path.glob("lightning_logs/*/*/checkpoints/last.ckpt")) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)  # no handler runs: only what is already on disk survives
    process.communicate(timeout=60)
    (last,) = tmp_path.glob("lightning_logs/*/*/checkpoints/last.ckpt")
    run = last.parent.parent
    assert not list(last.parent.glob("epoch=*.ckpt")), "the kill was meant to land inside epoch 0"
    updates = torch.load(last, weights_only=False)["gan"]["state"]["updates"]
    assert 0 < updates < 200 and updates % 8 == 0  # mid-epoch, at a chunk boundary

    resumed = _script(f"resume='{run}'", "trainer.max_epochs=1", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert torch.load(last, weights_only=False)["gan"]["state"]["updates"] == 200


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("module", "batch", "done"),
    [
        (FaithfulGAN, [], 200 + 2 * 32),  # chunks of 32 images: 7 per epoch; the 10th is the 2nd epoch's third
        (GAN, ["data.batch_size=16"], 13 + 2),  # 13 batches per epoch (12 of 16, one of 8)
    ],
    ids=["faithful", "batched"],
)
def test_resuming_from_a_periodic_checkpoint_equals_an_uninterrupted_run(
    tiny_csv, tmp_path, monkeypatch, module, batch, done
):
    def cfg(*extra):
        return tiny_run_config(tiny_csv, tmp_path, "model=improved", "noise=randn", "data.shuffle=true", *batch, *extra)

    train(cfg("trainer.max_epochs=2"), tmp_path / "whole")
    crashed = cfg("trainer.max_epochs=2", "checkpoints.every_minutes=0.00001")  # after every step
    real_step, steps = module.training_step, []
    crash_at = done + 1 if batch else 10

    def crash(self, batch, index):
        steps.append(index)
        if len(steps) == crash_at:  # as if the power went
            raise RuntimeError("simulated hard crash")
        return real_step(self, batch, index)

    monkeypatch.setattr(module, "training_step", crash)
    with pytest.raises(RuntimeError, match="simulated hard crash"):
        train(crashed, tmp_path / "crashed")
    monkeypatch.undo()
    last = tmp_path / "crashed" / "checkpoints" / "last.ckpt"
    assert torch.load(last, weights_only=False)["gan"]["state"]["updates"] == done
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        train(crashed, tmp_path / "crashed", ckpt_path=last)
    assert not [w for w in caught if "not resumable" in str(w.message)]  # the loader is resumable, and says so
    whole, resumed = _weights(tmp_path / "whole" / "checkpoints" / "last.ckpt"), _weights(last)
    assert all(torch.equal(whole[k], resumed[k]) for k in whole)
    if batch:  # Lightning's own count continues too: three optimizer steps per update
        assert torch.load(last, weights_only=False)["global_step"] == 3 * 2 * 13


def test_a_truncated_last_checkpoint_falls_back_to_the_newest_that_loads(tiny_csv, tmp_path):
    train(tiny_run_config(tiny_csv, tmp_path, "trainer.max_epochs=2"), tmp_path / "run")
    last = tmp_path / "run" / "checkpoints" / "last.ckpt"
    data = last.read_bytes()
    last.write_bytes(data[: len(data) // 2])  # as a crash mid-copy or a full disk would leave it
    said = []
    checkpoint, saved = resumable_checkpoint(tmp_path / "run", log=said.append)
    assert checkpoint.name == "epoch=1.ckpt" and saved["gan"]["state"]["updates"] == 400
    assert "last.ckpt does not load" in said[0] and "Using" in said[0] and "is not in it" in said[0]

    for other in last.parent.glob("epoch=*.ckpt"):
        other.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="no other checkpoint beside it does"):
        resumable_checkpoint(tmp_path / "run", log=said.append)


def test_a_killed_writes_leftover_is_removed_by_the_next_write(tmp_path):
    target = tmp_path / "mnist_train.csv"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    leftover = tmp_path / f".mnist_train.csv.{dead.pid}-abc123.tmp"  # a process killed mid-write left this
    live = tmp_path / f".mnist_train.csv.{os.getpid()}-def456.tmp"  # a write in progress: never touched
    old_style = tmp_path / ".mnist_train.csv.ghi789.tmp"  # from before names held a process id
    for path in (leftover, live, old_style):
        path.write_text("half a CSV")
    os.utime(old_style, (time.time() - 7200, time.time() - 7200))
    with atomic_path(target) as tmp:
        tmp.write_text("whole")
    assert target.read_text() == "whole"
    assert not leftover.exists() and not old_style.exists() and live.exists()
    assert remove_stale_temporaries(target) == []


def test_a_checkpoint_write_that_fails_leaves_the_previous_one_whole(tiny_csv, tmp_path, monkeypatch):
    cfg = tiny_run_config(tiny_csv, tmp_path, "trainer.max_epochs=2")
    train(cfg, tmp_path / "run")
    last = tmp_path / "run" / "checkpoints" / "last.ckpt"
    before = last.read_bytes()
    real_save = torch.save

    def dies_midway(obj, f, *args, **kwargs):
        f.write(b"PK\x03\x04 half")  # the first bytes of a zip, then nothing: the disk is full
        raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 61120 vs 61040")

    monkeypatch.setattr(torch, "save", dies_midway)
    monkeypatch.setattr("gan.file_safety.shutil.disk_usage", lambda path: shutil._ntuple_diskusage(10**6, 10**6, 1024))
    longer = tiny_run_config(tiny_csv, tmp_path, "trainer.max_epochs=3")
    with pytest.raises(OSError, match=r"no space left on the device writing .*epoch=2\.ckpt"):
        train(longer, tmp_path / "run", ckpt_path=last)  # any save now fails, as on a full disk
    monkeypatch.setattr(torch, "save", real_save)
    assert last.read_bytes() == before
    assert not list(last.parent.glob("*.tmp"))


# --- bad input is refused before any work, naming its key (each value: tests/test_config_checks.py) -------


@pytest.mark.e2e
def test_a_bad_value_on_the_command_line_prints_one_line_and_leaves_nothing(tmp_path):
    done = _script("sample_grid=[0,3]", "data.data_dir=nowhere", cwd=tmp_path, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "error: sample_grid=[0, 3] is invalid: it must be [rows, cols], two integers in 1 .. 16"
    )
    assert list(tmp_path.iterdir()) == []  # no run folder, no data folder


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ("HEADER\n", "header_only.csv", "a header but no data rows"),
        ("TSV", "tabs.csv", "line 1: 1 column: the file does not look comma-separated (it has tabs"),
        ("HEADER\nGOOD\nGOOD\n5,1,2\n", "bad_row.csv.gz", "line 4: 3 columns, expected 785"),
        ("HEADER\n", "header_only.csv.gz", "a header but no data rows"),
        ("GOOD\n3,x" + ",0" * 783 + "\n", "bad_cell.csv.gz", "line 2: column 2: 'x' is not an integer"),
    ],
)
def test_csv_messages_match_their_cause(tmp_path, content, name, message):
    header = "label," + ",".join(f"pixel{i}" for i in range(784))
    good = "7," + ",".join(["0"] * 784)
    text = content.replace("HEADER", header).replace("GOOD", good)
    if content == "TSV":
        text = "\t".join(good.split(",")) + "\n"
    path = tmp_path / name
    if name.endswith(".gz"):
        with gzip.open(path, "wt") as f:
            f.write(text)
    else:
        path.write_text(text)
    with pytest.raises(CsvFormatError, match=re.escape(message)):
        read_csv(path)


def test_a_compressed_csv_loads_like_a_plain_one(tmp_path):
    labels, pixels = synthetic(20)
    plain = write_csv(tmp_path / "plain.csv", labels, pixels, header=True)
    packed = tmp_path / "packed.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    a, b = read_csv(plain), read_csv(packed)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_a_directory_given_as_the_csv_is_named_a_directory(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a directory, not a CSV file"):
        read_csv(tmp_path)
    with pytest.raises(IsADirectoryError, match="is a directory, not a CSV file"):
        load_csv(tmp_path, tmp_path / "cache")


# --- paths, folders and where things are written ------------------------------------------------------------------


def test_run_folder_names_are_clean_for_quoted_paths_and_leave_out_keys_that_change_nothing():
    overrides = "data.train_csv='my dätä/x y.csv',model=improved,metrics.samples=1000,threads=1"
    assert run_name(overrides) == "data.train_csv=x_y.csv,model=improved"
    assert run_name("trainer.enable_progress_bar=False,model=dcgan") == "model=dcgan"
    assert run_name("data.shuffle=False") == run_name("data.shuffle=false") == "data.shuffle=false"


@pytest.mark.e2e
def test_a_path_with_a_space_and_non_ascii_letters_trains_when_quoted(tmp_path):
    folder = tmp_path / "my dätä"
    folder.mkdir()
    csv = write_csv(folder / "x.csv", *synthetic(40))
    quiet = [o for o in quiet_csv_run(csv, tmp_path) if not o.startswith("data.train_csv=")]
    done = _script(*quiet, f"data.train_csv='{csv}'", cwd=tmp_path)  # quoted for Hydra's override grammar
    assert done.returncode == 0, done.stderr
    (run,) = (tmp_path / "lightning_logs").iterdir()
    assert ",data.train_csv=x.csv," in run.name and not re.search(r"[\s'\"]", run.name)


def test_two_runs_started_in_the_same_second_get_their_own_folders(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first, second = (run_dir(None, "model=improved", "2026-01-01_00-00-00") for _ in range(2))
    assert first != second and os.path.isdir(first) and os.path.isdir(second)
    assert second.endswith("2026-01-01_00-00-00-2")


@pytest.mark.parametrize("resume", ["nope/x.ckpt", "nope/run", "'missing folder/last.ckpt'"])
def test_a_failed_resume_writes_nothing(tmp_path, resume):
    done = _script(f"resume={resume}", cwd=tmp_path, timeout=60)
    assert done.returncode == 1 and done.stderr.startswith("error: resume=") and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.e2e
def test_a_checkpoint_copied_out_of_its_run_folder_carries_its_config(tiny_csv, tmp_path):
    train(tiny_run_config(tiny_csv, tmp_path, "model=improved", "noise=randn"), tmp_path / "run")
    loose = tmp_path / "elsewhere" / "mine.ckpt"
    loose.parent.mkdir()
    shutil.copy(tmp_path / "run" / "checkpoints" / "last.ckpt", loose)
    module, cfg, _ = load_run(loose)
    assert cfg.model.generator.leaky_slope == 0.02 and module.latent_dim == 100

    resumed = _script(f"resume={loose}", "trainer.max_epochs=2", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    (run,) = (tmp_path / "lightning_logs" / "resumed=mine").iterdir()  # a new run folder, started from the file
    assert torch.load(run / "checkpoints" / "last.ckpt", weights_only=False)["gan"]["state"]["updates"] == 400


def test_an_older_checkpoint_without_its_config_still_loads_from_its_run_folder(tiny_csv, tmp_path):
    cfg = tiny_run_config(tiny_csv, tmp_path, "model=improved", "noise=randn")
    train(cfg, tmp_path / "run")
    last = tmp_path / "run" / "checkpoints" / "last.ckpt"
    saved = torch.load(last, weights_only=False)
    del saved["config"]
    torch.save(saved, last)
    with pytest.raises(FileNotFoundError, match="carries no config"):
        load_run(last)
    (tmp_path / "run" / ".hydra").mkdir()
    OmegaConf.save(cfg, tmp_path / "run" / ".hydra" / "config.yaml")  # what Hydra writes beside every run
    assert load_run(last)[0].latent_dim == 100


def test_a_cache_that_cannot_be_written_warns_once_and_trains_from_the_csv(tiny_csv, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "cache").write_text("a file where the cache folder would go: nothing can be written under it")
    with pytest.warns(UserWarning, match="cannot write the CSV cache") as caught:
        summary = train(tiny_run_config(tiny_csv, data, "max_updates=64"), tmp_path / "run")
    assert summary["updates"] == 64
    assert len([w for w in caught if "CSV cache" in str(w.message)]) == 1


def test_a_checkpoint_from_before_the_runs_own_state_is_refused_for_resume_but_still_loads(tiny_csv, tmp_path):
    cfg = tiny_run_config(tiny_csv, tmp_path, "trainer.max_epochs=2")
    train(tiny_run_config(tiny_csv, tmp_path), tmp_path / "run")
    last = tmp_path / "run" / "checkpoints" / "last.ckpt"
    saved = torch.load(last, weights_only=False)
    state = saved["gan"].pop("state")
    saved["gan"] |= {"updates": state["updates"], "rng": state["rng"]}  # the layout checkpoints had before
    torch.save(saved, last)
    with pytest.raises(ValueError, match="predates the run's own training state"):
        train(cfg, tmp_path / "run", ckpt_path=last)
    assert load_run(last)[0].updates == 0  # loads for inference (its weights), as evaluate.py and generate.py do
