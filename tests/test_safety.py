"""The two promises a user's files rely on: a failed command removes only what it created itself, and no file
this project opens (checkpoint, judge, cache) can run code."""

import os
import pickle
import shutil
from pathlib import Path

import pytest
import torch

from gan.errors import ConfigError
from gan.evaluation.judge import default_path, ensure_judge, locate_judge
from gan.file_safety import UnsafeFileError, load_tensors
from gan.training.fit import train
from gan.training.run_folders import run_name
from gan.training.saved_runs import load_run
from tests.conftest import quiet_csv_run, run_script, tiny_run_config


def container(cfg) -> dict:
    from omegaconf import OmegaConf

    return OmegaConf.to_container(cfg, resolve=True)


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


@pytest.mark.e2e
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


@pytest.mark.e2e
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


@pytest.mark.e2e
def test_a_failed_new_run_removes_the_folders_it_made_and_only_those(tiny_csv, tmp_path):
    (tmp_path / "lightning_logs" / "older").mkdir(parents=True)  # existed before: stays, even though empty
    result = run_script("train.py", "model.pack=0", *quiet_csv_run(tiny_csv, tmp_path), cwd=tmp_path)
    assert result.returncode == 1
    assert [p.name for p in (tmp_path / "lightning_logs").iterdir()] == ["older"]


@pytest.mark.e2e
def test_names_from_the_config_never_leave_their_folder(tiny_csv, tmp_path):
    name = run_name("data.class_names=[x,a/../../../ESC,b/c],seed=1")
    assert "/" not in name and "\\" not in name
    result = run_script("train.py", *quiet_csv_run(tiny_csv, tmp_path), "data.name=../../JUDGE", cwd=tmp_path)
    assert result.returncode == 1 and "data.name=../../JUDGE is invalid" in result.stderr
    assert not (tmp_path.parent / "JUDGE").exists()


@pytest.mark.e2e
def test_a_loose_checkpoint_s_outputs_go_beside_it(tiny_csv, tmp_path):
    train(tiny_run_config(tiny_csv, tmp_path), tmp_path / "run")
    loose = tmp_path / "some" / "dir" / "copy.ckpt"
    loose.parent.mkdir(parents=True)
    shutil.copy(tmp_path / "run" / "checkpoints" / "last.ckpt", loose)
    result = run_script("generate.py", loose, "--no-judge", "samples", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (loose.parent / "generated" / "samples.png").is_file()
    assert not (tmp_path / "some" / "generated").exists()


# --- a finished run or sweep is never trained over -------------------------------------------------------------


def contents(folder: Path) -> dict:
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("extra", [[], ["model.pack=0"]], ids=["valid", "bad value"])
def test_training_into_a_finished_run_is_refused_and_changes_nothing(trained_tiny_run, tmp_path, extra):
    run = tmp_path / "run"
    shutil.copytree(trained_tiny_run, run)
    before = contents(run)
    csv = trained_tiny_run.parent / "tiny.csv"
    result = run_script("train.py", *quiet_csv_run(csv, tmp_path), f"hydra.run.dir={run}", *extra, cwd=tmp_path)
    assert result.returncode == 1
    assert "already holds a run's results" in result.stderr and f"resume={run}" in result.stderr
    assert contents(run) == before  # byte for byte: checkpoints, summary, .hydra/overrides.yaml, train.log


def test_a_sweep_into_a_finished_sweep_is_refused_and_changes_nothing(trained_tiny_run, tmp_path):
    sweep = tmp_path / "sweep"
    shutil.copytree(trained_tiny_run, sweep / "seed=0")
    before = contents(sweep)
    csv = trained_tiny_run.parent / "tiny.csv"
    result = run_script("train.py", "-m", *quiet_csv_run(csv, tmp_path), f"hydra.sweep.dir={sweep}", "seed=0,1",
                        cwd=tmp_path)  # fmt: skip
    assert result.returncode == 1 and "already holds the results of 1 job(s)" in result.stderr, result.stderr
    assert contents(sweep) == before


def test_resuming_a_plain_file_is_refused_in_one_line_and_writes_nothing(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    result = run_script("train.py", f"resume={notes}", cwd=tmp_path)
    assert result.returncode == 1 and result.stderr.strip().endswith("give a run folder or a .ckpt file")
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"] and notes.read_text() == "my notes\n"


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


@pytest.mark.e2e
@pytest.mark.parametrize(
    "command",
    [
        ("evaluate.py", "{ckpt}"),
        ("generate.py", "{ckpt}", "samples"),
        ("train.py", "resume={ckpt}"),
    ],
)
def test_a_crafted_checkpoint_is_refused_by_every_script_and_runs_nothing(trained_tiny_run, tmp_path, command):
    saved = torch.load(trained_tiny_run / "checkpoints" / "last.ckpt", weights_only=True)
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

    labels, pixels = load_csv(tiny_csv, tmp_path / "cache")
    (cache,) = (tmp_path / "cache").glob("*.pt")
    marker = tmp_path / "ran"
    crafted(cache, marker)
    again = load_csv(tiny_csv, tmp_path / "cache")
    assert torch.equal(again[1], pixels) and not marker.exists()
    assert cache.with_name(cache.name + ".broken").is_file() and cache.is_file()

    judges = tmp_path / "judges"  # the project's own judge file, in its own folder: set aside and made again
    judge_path = default_path(judges, "tiny", locate_judge(tiny_csv, tmp_path / "cache", judges, "tiny")[1])
    judges.mkdir()
    crafted(judge_path, marker)
    judge, about = ensure_judge(tiny_csv, tiny_csv, tmp_path / "cache", "tiny", judges, log=lambda _: 0)
    assert not marker.exists() and "judge_accuracy" in about
    assert judge_path.with_name(judge_path.name + ".broken").is_file()


@pytest.mark.e2e
def test_a_judge_the_user_named_is_never_moved_or_replaced(tiny_csv, tmp_path):
    from gan.evaluation.judge import ensure_judge

    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    with pytest.raises(ConfigError, match=r"metrics.judge=.*notes.txt does not load as a judge.*left as it is"):
        ensure_judge(tiny_csv, tiny_csv, tmp_path / "cache", "tiny", tmp_path / "judges", notes, log=lambda _: 0)
    assert notes.read_text() == "my notes\n" and not notes.with_name("notes.txt.broken").exists()
    marker = tmp_path / "ran"
    evil = crafted(tmp_path / "judge.pt", marker)
    before = evil.read_bytes()
    with pytest.raises(UnsafeFileError):
        ensure_judge(tiny_csv, tiny_csv, tmp_path / "cache", "tiny", tmp_path / "judges", evil, log=lambda _: 0)
    assert evil.read_bytes() == before and not marker.exists()
    # from the command line as well: one line, the file untouched
    args = (*quiet_csv_run(tiny_csv, tmp_path), "metrics.enabled=true", f"data.test_csv={tiny_csv}", "max_updates=5")
    result = run_script("train.py", *args, f"metrics.judge={notes}", cwd=tmp_path)
    assert result.returncode == 1 and "does not load as a judge" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and notes.read_text() == "my notes\n"


# --- a carried config is data: it builds only the project's own parts ----------------------------------------


def payload(marker: Path) -> dict:
    """A config node that runs ``touch <marker>`` when Hydra instantiates it, through functions Hydra allows."""
    import base64
    import io

    saved = io.BytesIO()
    torch.save(RunsCode(marker), saved)
    pickled = base64.b64encode(saved.getvalue()).decode()
    blob = {"_target_": "base64.b64decode", "s": pickled}
    return {"_target_": "torch.load", "f": {"_target_": "io.BytesIO", "initial_bytes": blob}, "weights_only": False}


def with_carried(tmp_path, trained_run, edit) -> Path:
    """A copy of a trained run whose checkpoint's carried config ``edit`` changed, as a downloaded run might be."""
    shutil.copytree(trained_run, tmp_path / "run")
    last = tmp_path / "run" / "checkpoints" / "last.ckpt"
    saved = torch.load(last, weights_only=True)
    edit(saved["config"])
    torch.save(saved, last)
    return last


@pytest.mark.e2e
@pytest.mark.parametrize(
    "command",
    [
        ("evaluate.py", "{run}"),
        ("generate.py", "{run}", "--no-judge", "samples"),
        ("train.py", "resume={run}", "trainer.max_epochs=2"),
    ],
)
def test_a_carried_config_that_would_run_code_is_refused_by_every_script(trained_tiny_run, tmp_path, command):
    marker = tmp_path / "ran"
    with_carried(tmp_path, trained_tiny_run, lambda cfg: cfg["model"].update(discriminator=payload(marker)))
    script, *args = command
    result = run_script(script, *(a.format(run=tmp_path / "run") for a in args), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "model.discriminator._target_='torch.load'" in result.stderr and "Traceback" not in result.stderr
    assert not marker.exists()


@pytest.mark.parametrize(
    "edit, refusal",
    [
        (lambda cfg, f: cfg.update(noise={"_target_": "builtins.open", "file": str(f), "mode": "w"}), "builtins.open"),
        (lambda cfg, f: cfg["noise"].update(seed={"_target_": "builtins.open", "file": str(f)}), "builtins.open"),
        (  # a shipped class is refused too where it would be built inside another's arguments
            lambda cfg, f: cfg["model"]["discriminator"].update(hidden_dim={"_target_": "gan.models.nets.Generator"}),
            "model.discriminator.hidden_dim is a mapping, where this project's config has a value",
        ),
        (
            lambda cfg, f: cfg.update(
                callbacks={
                    "best": {"_target_": "lightning.pytorch.callbacks.ModelCheckpoint", "dirpath": str(f.parent)}
                }
            ),
            "callbacks.best, which conf/callbacks/ does not ship",
        ),
        (
            lambda cfg, f: cfg.update(
                callbacks={"best_checkpoint": {"_target_": "lightning.pytorch.callbacks.ModelCheckpoint",
                                               "dirpath": str(f.parent), "filename": "best-{epoch}"}}  # fmt: skip
            ),
            "callbacks.best_checkpoint.dirpath",
        ),
    ],
)
def test_a_carried_config_builds_only_the_projects_parts_and_writes_nowhere_else(
    trained_tiny_run, tmp_path, edit, refusal
):
    import gan

    mine = tmp_path / "mine.txt"
    mine.write_text("keep me\n")
    with_carried(tmp_path, trained_tiny_run, lambda cfg: edit(cfg, mine))
    with pytest.raises(UnsafeFileError, match=refusal):
        gan.load(tmp_path / "run")
    assert mine.read_text() == "keep me\n"


def test_the_run_folders_own_config_yaml_is_checked_the_same_way(tiny_csv, tmp_path):
    from omegaconf import OmegaConf

    from gan.training.saved_runs import checkpoint_config

    beside = tmp_path / "run" / ".hydra" / "config.yaml"
    beside.parent.mkdir(parents=True)
    cfg = OmegaConf.to_container(tiny_run_config(tiny_csv, tmp_path), resolve=True)
    cfg["model"]["generator"] = payload(tmp_path / "ran")
    OmegaConf.save(cfg, beside)
    with pytest.raises(UnsafeFileError, match="model.generator._target_='torch.load'"):
        checkpoint_config({}, tmp_path / "run" / "checkpoints" / "last.ckpt")  # an old checkpoint: no config inside


def test_a_carried_judge_path_is_read_never_written(tiny_csv, tmp_path):
    from gan.training.saved_runs import checkpoint_config

    elsewhere = tmp_path / "elsewhere" / "judge.pt"
    cfg = container(tiny_run_config(tiny_csv, tmp_path, f"metrics.judge={elsewhere}"))
    loaded = checkpoint_config({"config": cfg}, tmp_path / "run" / "checkpoints" / "last.ckpt")
    assert loaded.metrics.judge is None  # the dataset's own judge instead: nothing is written at that path


def test_a_ramp_a_run_switched_off_stays_off_when_the_run_is_loaded_or_resumed():
    from gan.config import compose
    from gan.training.carried_config import carried_config

    cfg = container(compose("model=dcgan", "loss=rpgan", "penalty=r1_r2", "ramps=r3gan", "~ramps.lr",
                            "ramps.gamma=null"))
    assert "lr" not in cfg["ramps"] and cfg["ramps"]["gamma"] is None and cfg["ramps"]["beta2"] is not None
    ramps = carried_config(cfg, "run.ckpt").ramps
    assert ramps.lr is None and ramps.gamma is None  # not conf/r3gan.yaml's ramps, which the run never had
    assert ramps.beta2.end == 0.99 and ramps.ema_half_life.end == 250_000  # the ones it had, as they were


def test_a_carried_config_is_recognised_as_the_conf_options_it_was_composed_from():
    from gan.config import compose
    from gan.training.carried_config import carried_config, choices

    for overrides in (["experiment=grid25"], ["model=conditional"], ["data=fashion_mnist", "model=dcgan_ema"],
                      ["model=residual", "ramps=r3gan", "data=stacked_mnist"],
                      ["model=dcgan", "noise=coded", "noise.codes=12"], ["experiment=mnist"],
                      ["experiment=mnist_quick"], ["experiment=mnist_legible"],
                      ["experiment=mnist", "ramps=r3gan", "~ramps.gamma", "~ramps.beta2",
                       "~ramps.ema_half_life"],
                      ["callbacks=[best_checkpoint,early_stopping]", "loss=wgan", "penalty=gp", "model=dcgan"]):
        cfg = container(compose(*overrides))
        assert container(carried_config(cfg, "run.ckpt")) == cfg, overrides  # rebuilt value for value
    assert "model=dcgan" in choices(container(compose("model=dcgan_ema")), "x")  # the same classes and keys
    assert "data=grid25" in choices(container(compose("model=mlp2d", "data=grid25")), "x")


@pytest.mark.parametrize("damage", [b"", b"\x00" * 100, os.urandom(4096)])
def test_a_corrupt_cache_is_set_aside_with_one_warning_and_rebuilt(tiny_csv, tmp_path, damage, caplog):
    from gan.data.csv_files import load_csv

    pixels = load_csv(tiny_csv, tmp_path / "cache")[1]
    (cache,) = (tmp_path / "cache").glob("*.pt")
    cache.write_bytes(damage)
    assert torch.equal(load_csv(tiny_csv, tmp_path / "cache")[1], pixels)
    assert [r.message for r in caplog.records if "does not load" in r.message]


@pytest.mark.e2e
def test_evaluate_and_generate_fall_back_from_a_truncated_last_checkpoint(tiny_csv, tmp_path):
    train(tiny_run_config(tiny_csv, tmp_path, "trainer.max_epochs=2"), tmp_path / "run")
    last = tmp_path / "run" / "checkpoints" / "last.ckpt"
    last.write_bytes(last.read_bytes()[:1000])
    module, cfg, checkpoint = load_run(tmp_path / "run")
    assert checkpoint.name == "epoch=1.ckpt" and module.updates == 0  # weights only: the state is for resume
    result = run_script("generate.py", tmp_path / "run", "--no-judge", "samples", cwd=tmp_path)
    assert result.returncode == 0 and "does not load" in result.stderr, result.stderr


# --- one writer per run, folders that cannot be written, one folder per sweep job --------------------------------


def _held(folder: Path, pid: int = 4242):
    """Hold ``folder``'s run lock as another process would (flock is per open file: this test's fd is not the
    command's), writing ``pid`` as the holder."""
    import fcntl

    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.write(fd, str(pid).encode())
    return fd


def test_a_second_command_into_a_held_run_folder_is_refused_before_hydra_writes_anything(tiny_csv, tmp_path):
    # two commands started together with one hydra.run.dir: the second must not write its .hydra/ record over the
    # first's (its overrides.yaml would say one seed while the config and checkpoint said another)
    run = tmp_path / "run"
    fd = _held(run)
    try:
        result = run_script("train.py", *quiet_csv_run(tiny_csv, tmp_path), f"hydra.run.dir={run}", "seed=2",
                            cwd=tmp_path)  # fmt: skip
    finally:
        os.close(fd)
    assert result.returncode == 1, result.stderr
    assert "being trained into by another process (pid 4242)" in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in run.iterdir()) == [".lock"]  # no .hydra/, no train.log


def test_a_resume_refused_while_the_run_trains_leaves_its_folder_byte_for_byte(trained_tiny_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(trained_tiny_run, run)
    (run / "train.log").write_text("the run's own log\n")
    before = contents(run)
    fd = _held(run)
    try:
        result = run_script("train.py", f"resume={run}", "trainer.max_epochs=5", cwd=tmp_path)
    finally:
        os.close(fd)
    (run / ".lock").unlink()
    assert result.returncode == 1 and "(pid 4242)" in result.stderr, result.stderr
    assert contents(run) == before  # train.log too: no line of the refused command


def test_a_run_folder_this_user_cannot_write_is_refused_in_one_line(tiny_csv):
    import subprocess
    import sys
    import tempfile

    from tests.conftest import ROOT

    # root writes anywhere: there the command runs as an ordinary user (setpriv), in a folder that user can reach
    as_user = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []
    if as_user and shutil.which("setpriv") is None:
        pytest.fail("running as root without setpriv: cannot test a folder this user cannot write")
    base = Path(tempfile.mkdtemp())
    try:
        base.chmod(0o777)
        csv = shutil.copy(tiny_csv, base / "tiny.csv")
        locked = base / "locked"
        locked.mkdir(mode=0o555)
        locked.chmod(0o555)
        env = {**os.environ, "MPLCONFIGDIR": str(base / "mpl")}
        for where, cwd in ((f"hydra.run.dir={locked / 'run'}", base), ("seed=3", locked)):  # named; the default
            result = subprocess.run(
                [*as_user, sys.executable, ROOT / "scripts" / "train.py", *quiet_csv_run(csv, base), where],
                cwd=cwd, capture_output=True, text=True, timeout=120, env=env,
            )  # fmt: skip
            assert result.returncode == 1, result.stderr
            assert "cannot be written by this user" in result.stderr, result.stderr
            assert "Traceback" not in result.stderr
            assert list(locked.iterdir()) == []
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_a_sweep_whose_jobs_would_share_one_folder_is_refused(tiny_csv, tmp_path):
    sweep = tmp_path / "sweep"
    result = run_script("train.py", "-m", *quiet_csv_run(tiny_csv, tmp_path), f"hydra.sweep.dir={sweep}",
                        "hydra.sweep.subdir=.", "model.pack=0,1", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 1 and "names one folder for every job" in result.stderr, result.stderr
    assert not sweep.exists()


def test_the_data_folder_is_the_checkouts_from_any_working_directory(tmp_path, monkeypatch):
    from gan.config import CHECKOUT, compose

    monkeypatch.chdir(tmp_path)
    assert compose().data.data_dir == str(CHECKOUT / "data")  # the judge and cache are made once per checkout
    assert compose("data=fashion_mnist").data.train_csv == str(CHECKOUT / "data" / "fashion_mnist_train.csv")


def test_a_carried_data_folder_is_always_this_checkouts(tmp_path):
    from gan.config import CHECKOUT
    from gan.training.carried_config import carried_config

    elsewhere = {"data_dir": "/elsewhere/data", "train_csv": "/elsewhere/data/mnist_train.csv", "test_csv": "t.csv"}
    cfg = carried_config({"data": elsewhere}, "run.ckpt")
    assert cfg.data.data_dir == str(CHECKOUT / "data")
    assert cfg.data.train_csv == str(CHECKOUT / "data" / "mnist_train.csv")
    assert cfg.data.test_csv == str(CHECKOUT / "data" / "mnist_test.csv")  # MNIST is downloaded: here, never there
    # one that exists is not kept either: a download, a cache or a judge would be written into it
    here = {"data_dir": str(tmp_path), "train_csv": str(tmp_path / "a.csv"), "mirrors": [str(tmp_path)]}
    cfg = carried_config({"data": here}, "run.ckpt")
    assert cfg.data.data_dir == str(CHECKOUT / "data") and cfg.data.mirrors == []
    # a dataset that downloads nothing (data=csv) reads the CSVs its run named, and writes only into data/
    own = {"_target_": "gan.data.mnist.MnistDataModule", "download": None, "data_dir": str(tmp_path),
           "train_csv": str(tmp_path / "a.csv"), "name": None}  # fmt: skip
    cfg = carried_config({"data": own}, "run.ckpt")
    assert cfg.data.train_csv == str(tmp_path / "a.csv") and cfg.data.data_dir == str(CHECKOUT / "data")


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")  # random bytes read as a pickle's header
def test_every_way_a_checkpoint_is_damaged_reads_as_damage_and_a_loader_bug_keeps_its_traceback(tmp_path, monkeypatch):
    import random

    from gan.training import saved_runs
    from gan.training.saved_runs import try_load

    good = tmp_path / "good.ckpt"
    torch.save({"state_dict": {"w": torch.ones(50, 10)}, "config": {"seed": 1, "metrics": [1, 2]}}, good)
    whole, rng = good.read_bytes(), random.Random(0)
    damaged = tmp_path / "damaged.ckpt"
    for _ in range(300):  # truncated, bytes overwritten, random bytes, text, a tail of junk
        kind = rng.randrange(5)
        if kind == 0:
            data = whole[: rng.randrange(len(whole))]
        elif kind == 1:
            data = bytearray(whole)
            for _ in range(rng.randrange(1, 20)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        elif kind == 2:
            data = rng.randbytes(rng.randrange(1, 3000))
        elif kind == 3:
            data = "".join(rng.choice('abc {}[]019:,"\n') for _ in range(rng.randrange(1, 500))).encode()
        else:
            data = whole[: rng.randrange(len(whole))] + rng.randbytes(50)
        damaged.write_bytes(bytes(data))
        try:
            saved, problem = try_load(damaged)
        except UnsafeFileError:  # bytes that happen to name a function: refused, never run
            continue
        assert saved is None or "state_dict" in saved
        assert saved is not None or problem

    def buggy(path, map_location="cpu"):
        raise TypeError("a bug in the loader")

    monkeypatch.setattr(saved_runs, "load_tensors", buggy)
    with pytest.raises(TypeError, match="a bug in the loader"):  # not taken for a corrupt checkpoint
        try_load(good)
