"""A run folder from elsewhere is data: its config is rebuilt from conf/, never resolved or trusted for paths, and
nothing of the project is written through a link (issue 35's cases, each one attack, and a fuzz of them all)."""

import base64
import io
import os
import shutil
from pathlib import Path

import pytest
import torch
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from omegaconf import OmegaConf

from gan.errors import GanError
from gan.file_safety import UnsafeFileError
from tests.conftest import run_script
from tests.test_safety import RunsCode, contents

CALLED: list = []  # what a smuggled target or resolver was called with: must stay empty


def spy(*args, **kwargs):
    """A callable no conf/ option names: a carried config that gets it called has run code."""
    CALLED.append((args, kwargs))
    return 1


OmegaConf.register_new_resolver("spy", spy, replace=True)
SPY = f"{__name__}.spy"


def pickled_command(marker: Path) -> str:
    saved = io.BytesIO()
    torch.save(RunsCode(marker), saved)
    return base64.b64encode(saved.getvalue()).decode()


def create_payload(marker: Path) -> str:
    """The issue's payload: an interpolation that builds torch.load of a pickle that runs ``touch marker``."""
    return (
        "${oc.create:{_target_: torch.load, weights_only: false, f: {_target_: io.BytesIO, initial_bytes: "
        f"{{_target_: base64.b64decode, s: '{pickled_command(marker)}'}}}}}}}}"
    )


def copied_run(trained_run: Path, tmp_path: Path, edit=None, state=None) -> Path:
    """A copy of a trained run (as downloaded), its checkpoint's config changed by ``edit`` (and the checkpoint by
    ``state``)."""
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    last = run / "checkpoints" / "last.ckpt"
    saved = torch.load(last, weights_only=True)
    if edit is not None:
        edit(saved["config"])
    if state is not None:
        state(saved)
    torch.save(saved, last)
    return run


def _edit(cfg: dict, key: str, value) -> None:
    *parents, name = key.split(".")
    node = cfg
    for parent in parents:
        if not isinstance(node.get(parent), dict):
            node[parent] = {}
        node = node[parent]
    node[name] = value


@pytest.fixture
def victim(tmp_path) -> Path:
    """A user's folder beside the run: nothing in it may change."""
    folder = tmp_path / "victim"
    folder.mkdir()
    (folder / "notes.txt").write_text("my notes\n")
    (folder / "samples.png").write_bytes(b"my picture")
    (folder / "last.ckpt").write_bytes(b"my checkpoint")
    return folder


# --- 1. an interpolation turns data into code ------------------------------------------------------------------


def interpolations(marker: Path, tmp_path: Path) -> dict[str, str]:
    return {
        "oc.create": create_payload(marker),
        "oc.decode": '${oc.decode:"{_target_: tests.test_carried_runs.spy}"}',
        "oc.select default": "${oc.select:no.such.key,${oc.create:{_target_: tests.test_carried_runs.spy}}}",
        "project resolver": f"${{hydra_subdir:{tmp_path}/anywhere,now}}",
        "oc.env": "${oc.env:HOME}",
        "spy resolver": "${spy:1}",
    }


@pytest.mark.parametrize("kind", list(interpolations(Path("m"), Path("t"))))
@pytest.mark.parametrize("key", ["loss", "seed", "model.generator.hidden_dim", "trainer.precision"])
def test_an_interpolation_in_a_carried_config_is_refused_and_runs_nothing(trained_tiny_run, tmp_path, kind, key):
    import gan

    marker = tmp_path / "ran"
    value = interpolations(marker, tmp_path)[kind]
    run = copied_run(trained_tiny_run, tmp_path, lambda cfg: _edit(cfg, key, value))
    CALLED.clear()
    with pytest.raises(UnsafeFileError, match=rf"{key.split('.')[0]}") as refused:
        gan.load(run)
    assert "\n" not in str(refused.value)
    assert not marker.exists() and not CALLED and not (tmp_path / "anywhere").exists()


def test_the_payload_in_hydra_config_yaml_is_refused_and_its_references_resolve(trained_tiny_run, tmp_path):
    from gan.training.saved_runs import checkpoint_config

    marker = tmp_path / "ran"
    old = tmp_path / "old" / "checkpoints" / "last.ckpt"  # a checkpoint from before they carried a config
    beside = old.parent.parent / ".hydra" / "config.yaml"
    beside.parent.mkdir(parents=True)
    base = torch.load(trained_tiny_run / "checkpoints" / "last.ckpt", weights_only=True)["config"]
    base["model"]["latent_dim"], base["model"]["generator"]["latent_dim"] = 7, "${..latent_dim}"  # Hydra's own way
    beside.write_text(OmegaConf.to_yaml(base))
    assert checkpoint_config({}, old).model.generator.latent_dim == 7  # a plain reference is resolved
    base["loss"] = create_payload(marker)
    beside.write_text(OmegaConf.to_yaml(base))
    with pytest.raises(UnsafeFileError, match="loss"):
        checkpoint_config({}, old)
    base["loss"] = {"_target_": "gan.models.losses.MSELoss"}
    base["seed"] = "${oc.env:HOME}"
    beside.write_text(OmegaConf.to_yaml(base))
    with pytest.raises(UnsafeFileError, match="seed='\\$\\{oc.env:HOME\\}'"):
        checkpoint_config({}, old)
    beside.write_text("seed: !!python/object/apply:os.system ['touch ran']\n")  # a YAML tag: one line
    with pytest.raises(UnsafeFileError, match="not a config this project reads") as refused:
        checkpoint_config({}, old)
    assert "\n" not in str(refused.value) and not marker.exists()


def old_run_with_hydra_config(trained_run: Path, tmp_path: Path, edit) -> Path:
    """A run whose checkpoint carries no config (as before they did): its .hydra/config.yaml, changed by ``edit``, is
    what the loader reads."""
    run = tmp_path / "old"
    shutil.copytree(trained_run, run)
    last = run / "checkpoints" / "last.ckpt"
    saved = torch.load(last, weights_only=True)
    config = saved.pop("config")
    torch.save(saved, last)
    edit(config)
    (run / ".hydra").mkdir(exist_ok=True)
    (run / ".hydra" / "config.yaml").write_text(yaml.safe_dump(config))  # as written: OmegaConf would parse it
    return run


def two_stage_payloads(marker: Path) -> dict[str, dict[str, str]]:
    """Values that hold no ``${`` themselves (or only a reference), but resolve to text that would be parsed again."""
    bare = create_payload(marker)[1:]  # {oc.create:...}: no "${" in it
    return {
        "dollar reference": {"trainer.default_root_dir": bare,
                             "optimizer.weight_decay": "$${trainer.default_root_dir}"},
        "escaped": {"trainer.default_root_dir": "\\" + create_payload(marker)},
        "spliced": {"data.name": "$", "trainer.default_root_dir": bare,
                    "optimizer.weight_decay": "${data.name}${trainer.default_root_dir}"},
        "split over keys": {"data.name": "${oc", "trainer.default_root_dir": ".env:HOME}",
                            "optimizer.weight_decay": "${data.name}${trainer.default_root_dir}"},
    }  # fmt: skip


@pytest.mark.parametrize("payload", list(two_stage_payloads(Path("m"))))
def test_a_two_stage_payload_in_hydra_config_yaml_is_refused_and_runs_nothing(trained_tiny_run, tmp_path, payload):
    import gan

    marker = tmp_path / "ran"

    def edit(config):
        for key, value in two_stage_payloads(marker)[payload].items():
            _edit(config, key, value)

    run = old_run_with_hydra_config(trained_tiny_run, tmp_path, edit)
    with pytest.raises(UnsafeFileError) as refused:
        gan.load(run)
    assert "\n" not in str(refused.value) and "config.yaml" in str(refused.value)
    assert not marker.exists()


@pytest.mark.e2e
@pytest.mark.parametrize("script", ["generate.py", "evaluate.py"])
def test_the_two_stage_payload_is_refused_by_the_scripts_in_one_line(trained_tiny_run, tmp_path, script):
    marker = tmp_path / "ran"
    payload = two_stage_payloads(marker)["dollar reference"]
    run = old_run_with_hydra_config(trained_tiny_run, tmp_path, lambda c: [_edit(c, *kv) for kv in payload.items()])
    args = [run, "--no-judge", "samples"] if script == "generate.py" else [run]
    result = run_script(script, *args, cwd=tmp_path)
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not marker.exists()


def alias_bomb(levels: int = 10) -> str:
    lines = ["a0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_a_yaml_alias_bomb_in_hydra_config_yaml_is_refused_at_once(trained_tiny_run, tmp_path):
    import time

    from gan.training.saved_runs import checkpoint_config

    run = old_run_with_hydra_config(trained_tiny_run, tmp_path, lambda config: None)
    beside = run / ".hydra" / "config.yaml"
    beside.write_text(beside.read_text() + alias_bomb())
    saved = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    started = time.perf_counter()
    with pytest.raises(UnsafeFileError, match="more than 20,000 values") as refused:
        checkpoint_config(saved, run / "checkpoints" / "last.ckpt")
    assert time.perf_counter() - started < 1.0 and "\n" not in str(refused.value)


def test_a_list_shared_along_ten_levels_of_a_checkpoints_config_is_refused_at_once(trained_tiny_run, tmp_path):
    import time

    import gan

    def bomb(config):
        shared = ["x"] * 9
        for _ in range(10):
            shared = [shared] * 9
        config["noise"]["bomb"] = shared

    run = copied_run(trained_tiny_run, tmp_path, bomb)
    started = time.perf_counter()
    with pytest.raises(UnsafeFileError, match="more than 20,000 values"):
        gan.load(run)
    assert time.perf_counter() - started < 5.0  # the checkpoint's own load included


@pytest.mark.e2e
@pytest.mark.parametrize(
    "command",
    [
        ("evaluate.py", "{run}"),
        ("generate.py", "{run}", "--no-judge", "samples"),
        ("generate.py", "{run}", "arithmetic", "3", "8"),
        ("generate.py", "{run}", "export", "--count", "4"),
        ("train.py", "resume={run}", "trainer.max_epochs=2"),
    ],
)
def test_the_payload_is_refused_by_every_script_in_one_line(trained_tiny_run, tmp_path, command):
    marker = tmp_path / "ran"
    run = copied_run(trained_tiny_run, tmp_path, lambda cfg: cfg.update(loss=create_payload(marker)))
    before = contents(run)
    script, *args = command
    result = run_script(script, *(a.format(run=run) for a in args), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().startswith("error:") and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not marker.exists() and contents(run) == before


def test_a_carried_target_other_than_confs_or_a_positional_argument_is_refused(trained_tiny_run, tmp_path):
    import gan

    for edit, refusal in [
        (lambda cfg: cfg["optimizer"].update(_target_="torch.optim.LBFGS"), "optimizer._target_='torch.optim.LBFGS'"),
        (lambda cfg: cfg["trainer"].update(_args_=["/elsewhere"]), "trainer._args_"),
        (lambda cfg: cfg["noise"].update(_recursive_=True), "noise._recursive_"),
        (lambda cfg: cfg.update(metrics={"x": {"_target_": SPY}}), "metrics.x._target_"),
    ]:
        shutil.rmtree(tmp_path / "run", ignore_errors=True)
        run = copied_run(trained_tiny_run, tmp_path, edit)
        with pytest.raises(UnsafeFileError, match=refusal):
            gan.load(run)
    assert not CALLED


# --- 2. carried paths: callbacks, restored state, data ---------------------------------------------------------


def best_checkpoint(**changes) -> dict:
    node = {"_target_": "lightning.pytorch.callbacks.ModelCheckpoint", "dirpath": None, "filename": "best-{epoch}",
            "monitor": "metrics/judge_fd", "mode": "min", "save_top_k": 1, "save_on_train_epoch_end": True}  # fmt: skip
    return node | changes


@pytest.mark.parametrize(
    "callback, refusal",
    [
        (best_checkpoint(filename="../../../../any/folder/file"), "filename='../../../../any/folder/file'"),
        (best_checkpoint(filename="../../other/checkpoints/last", enable_version_counter=False), "filename="),
        (best_checkpoint(filename="/abs/file"), "filename='/abs/file'"),
        (best_checkpoint(dirpath="/any/folder"), "dirpath='/any/folder'"),
        (best_checkpoint(_args_=["/any/folder"]), "_args_"),
    ],
)
def test_a_carried_callback_writes_only_into_its_runs_checkpoints(trained_tiny_run, tmp_path, callback, refusal):
    import gan

    run = copied_run(trained_tiny_run, tmp_path, lambda cfg: cfg.update(callbacks={"best_checkpoint": callback}))
    with pytest.raises(UnsafeFileError, match=refusal):
        gan.load(run)


def test_lightnings_restored_checkpoint_paths_are_dropped_and_only_checkpoint_files_removed(tmp_path, victim):
    from gan.training.checkpoints import AtomicCheckpointIO, forget_checkpoint_paths

    state = {
        "best_model_path": f"local://{victim}",
        "best_k_models": {str(victim / "notes.txt"): 1.0},
        "last_model_path": str(victim / "last.ckpt"),
        "kth_best_model_path": str(victim),
        "best_model_score": 1.0,
    }
    saved = forget_checkpoint_paths({"callbacks": {"ModelCheckpoint{'monitor': None}": dict(state)}})
    restored = saved["callbacks"]["ModelCheckpoint{'monitor': None}"]
    assert restored["best_model_path"] == "" and restored["best_k_models"] == {} and restored["last_model_path"] == ""
    io_ = AtomicCheckpointIO()
    run = tmp_path / "run" / "checkpoints"
    run.mkdir(parents=True)
    (run / "best-epoch=0.ckpt").write_bytes(b"x")
    for path in (victim, victim / "notes.txt", run / ".." / ".." / "victim" / "notes.txt", f"local://{victim}"):
        io_.remove_checkpoint(path)  # Lightning's removal of what it no longer keeps
    io_.remove_checkpoint(run / "best-epoch=0.ckpt")
    assert (victim / "notes.txt").read_text() == "my notes\n" and not (run / "best-epoch=0.ckpt").exists()


@pytest.mark.e2e
@pytest.mark.parametrize("named", ["local", "dotdot"])
@pytest.mark.filterwarnings("ignore:Checkpoint directory .* exists and is not empty")  # a resume: the run's own
def test_a_resume_from_a_crafted_callback_state_deletes_nothing(tiny_csv, tmp_path, victim, named):
    from gan.training.fit import train
    from gan.training.saved_runs import checkpoint_config, resumable_checkpoint
    from tests.conftest import tiny_run_config

    overrides = ("callbacks=best_checkpoint", "callbacks.best_checkpoint.monitor=null", "data.batch_size=8")
    train(tiny_run_config(tiny_csv, tmp_path, *overrides), tmp_path / "run")
    path = f"local://{victim}" if named == "local" else f"{tmp_path}/run/checkpoints/../../victim/notes.txt"

    def crafted(saved):
        for key, state in saved["callbacks"].items():
            if key.startswith("ModelCheckpoint"):
                state.update(best_model_path=path, last_model_path=path)

    last = tmp_path / "run" / "checkpoints" / "last.ckpt"
    saved = torch.load(last, weights_only=True)
    crafted(saved)
    torch.save(saved, last)
    before = contents(victim)
    checkpoint, saved = resumable_checkpoint(tmp_path / "run")
    cfg = checkpoint_config(saved, checkpoint)
    cfg.trainer.max_epochs = 3
    train(cfg, tmp_path / "run", ckpt_path=checkpoint, saved=saved)
    assert contents(victim) == before


def test_a_carried_data_name_is_held_to_the_name_rule_on_load(trained_tiny_run, tmp_path):
    import gan

    run = copied_run(trained_tiny_run, tmp_path, lambda cfg: cfg["data"].update(name="../../../victim/notes"))
    with pytest.raises(GanError, match=r"data.name=../../../victim/notes is invalid"):
        gan.load(run)


def test_a_carried_data_folder_that_exists_is_not_used(trained_tiny_run, tmp_path, victim):
    import gan
    from gan.config import CHECKOUT

    run = copied_run(trained_tiny_run, tmp_path, lambda cfg: cfg["data"].update(data_dir=str(victim)))
    assert gan.load(run).config.data.data_dir == str(CHECKOUT / "data")
    run2 = copied_run(trained_tiny_run, tmp_path / "2", lambda cfg: cfg["data"].update(data_dir="."))
    assert gan.load(run2).config.data.data_dir == str(CHECKOUT / "data")


# --- 3. links inside a run folder ------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", ["generated", "evaluation", "train.log", "checkpoints", ".lock", "summary.json"])
def test_a_link_inside_a_run_folder_is_refused_naming_it(trained_tiny_run, tmp_path, victim, entry):
    import gan
    from gan.file_safety import refuse_links

    run = copied_run(trained_tiny_run, tmp_path)
    target = victim / "notes.txt" if "." in entry else victim
    if entry == "checkpoints":  # the run's own checkpoints moved into the user's folder, linked back
        shutil.move(run / "checkpoints" / "last.ckpt", victim / "last.ckpt")
        shutil.rmtree(run / "checkpoints")
    elif (run / entry).exists():
        (run / entry).unlink()
    (run / entry).symlink_to(target)
    before = contents(victim)
    with pytest.raises(UnsafeFileError, match=rf"{entry} is a symbolic link") as refused:
        refuse_links(run)
    assert "\n" not in str(refused.value)
    if entry != "checkpoints":
        with pytest.raises(UnsafeFileError, match="symbolic link"):
            gan.load(run)
    assert contents(victim) == before


def test_a_link_inside_a_subfolder_is_refused_and_the_run_folder_itself_may_be_a_link(trained_tiny_run, tmp_path):
    from gan.file_safety import refuse_links

    run = copied_run(trained_tiny_run, tmp_path)
    (tmp_path / "latest").symlink_to(run)
    refuse_links(tmp_path / "latest")  # the user's own link to a run: fine
    (run / "generated").mkdir()
    (run / "generated" / "samples.png").symlink_to(tmp_path / "elsewhere.png")
    with pytest.raises(UnsafeFileError, match="generated/samples.png is a symbolic link"):
        refuse_links(run)


def test_the_lock_and_the_log_are_opened_without_following_a_link(tmp_path, victim):
    from gan.logs import RunLogFile
    from gan.training.run_lock import run_lock

    run = tmp_path / "run"
    run.mkdir()
    (run / ".lock").symlink_to(victim / "notes.txt")
    with pytest.raises(UnsafeFileError, match="symbolic link"), run_lock(run):
        pass
    (run / "train.log").symlink_to(victim / "notes.txt")
    handler = RunLogFile(run / "train.log")
    with pytest.raises(UnsafeFileError, match="symbolic link"):
        handler._open()
    assert (victim / "notes.txt").read_text() == "my notes\n"


@pytest.mark.e2e
@pytest.mark.parametrize("entry", ["train.log", "checkpoints", ".lock"])
def test_a_resume_through_a_linked_entry_is_refused_in_one_line(trained_tiny_run, tmp_path, victim, entry):
    run = copied_run(trained_tiny_run, tmp_path)
    if entry == "checkpoints":
        shutil.copytree(run / "checkpoints", victim / "checkpoints")
        shutil.rmtree(run / "checkpoints")
        (run / "checkpoints").symlink_to(victim / "checkpoints")
    else:
        (run / entry).symlink_to(victim / "notes.txt")
    before = contents(victim)
    result = run_script("train.py", f"resume={run}", "trainer.max_epochs=3", cwd=tmp_path)
    assert result.returncode == 1 and "symbolic link" in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert contents(victim) == before


def test_generate_into_a_linked_generated_folder_is_refused(trained_tiny_run, tmp_path, victim):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    import generate

    run = copied_run(trained_tiny_run, tmp_path)
    (run / "generated").symlink_to(victim)
    with pytest.raises(UnsafeFileError, match="generated is a symbolic link"):
        generate.main([str(run), "--no-judge", "samples"])
    assert (victim / "samples.png").read_bytes() == b"my picture"


# --- 4. other breaks -------------------------------------------------------------------------------------------


def test_a_run_dir_named_by_an_environment_variable_is_checked_as_resolved(trained_tiny_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(trained_tiny_run, run)
    before = contents(run)
    result = run_script("train.py", "hydra.run.dir='${oc.env:RUNDIR}'", cwd=tmp_path, env={"RUNDIR": str(run)})
    assert result.returncode == 1 and "already holds a run's results" in result.stderr, result.stderr
    assert contents(run) == before
    result = run_script("train.py", "hydra.run.dir='${spy:x}'", cwd=tmp_path)
    assert result.returncode == 1 and "give the folder as a path" in result.stderr, result.stderr


def test_an_unknown_experiment_is_refused(tmp_path):
    from gan.config import compose

    result = run_script("train.py", "experiment=modern_mnsit", cwd=tmp_path)
    assert result.returncode == 1 and "experiment=modern_mnsit: no such experiment" in result.stderr, result.stderr
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(GanError, match="no such experiment"):
        compose("experiment=nope")


def test_a_seed_past_64_bits_is_refused_in_one_line(trained_tiny_run):
    import gan

    run = gan.load(trained_tiny_run)
    for draw in (lambda: run.samples([2**70]), lambda: run.interpolate(2**70, 1), lambda: run.arithmetic(-1, 2)):
        with pytest.raises(GanError, match="seed=.* is invalid: it must be an integer in 0 .. 2\\*\\*63 - 1"):
            draw()


def test_a_config_nested_20000_deep_is_refused_in_one_line():
    from gan.training.carried_config import carried_config

    deep: dict = {}
    node = deep
    for _ in range(20_000):
        node["a"] = {}
        node = node["a"]
    with pytest.raises(UnsafeFileError, match="nests deeper than") as refused:
        carried_config({"model": deep}, "run.ckpt")
    assert "\n" not in str(refused.value)


def test_hydras_refusal_of_a_target_prints_one_line():
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate

    from gan.command_errors import expected, message

    for target in ("os.system", "no.such.module.Thing"):
        try:
            instantiate({"_target_": target, "_args_": ["true"]})
        except InstantiationException as error:
            assert expected(error) and "\n" not in message(error) and "HYDRA_FULL_ERROR" not in message(error)
        else:
            assert target == "os.system", "a missing module must be refused"  # an older Hydra allows os.system


def test_messages_name_no_resume_and_give_no_unsafe_advice(tmp_path):
    from gan.file_safety import load_problem
    from gan.training.saved_runs import find_checkpoint

    with pytest.raises(GanError) as missing:
        find_checkpoint(tmp_path)
    assert "resume=" not in str(missing.value)
    bad = tmp_path / "bad.ckpt"
    torch.save({"x": io.BytesIO(b"1")}, bad)  # a class torch's safe loader does not allow
    try:
        torch.load(bad, weights_only=True)
    except Exception as error:  # noqa: BLE001 - whatever torch raises, its advice must not be passed on
        assert "weights_only" not in load_problem(error) and "Re-running" not in load_problem(error)


# --- the fuzz: random carried configs through every entry point ------------------------------------------------

HOSTILE_STRINGS = st.sampled_from(
    [
        "${spy:1}", "${oc.env:HOME}", "${oc.create:{_target_: tests.test_carried_runs.spy}}", "${seed}",
        '${oc.decode:"{_target_: tests.test_carried_runs.spy}"}', "${oc.select:x,${spy:2}}", "\\${spy:3}",
        "../../victim/notes.txt", "/tmp/victim", "..", "local:///tmp", "${hydra_subdir:/tmp/anywhere,x}",
        "${..latent_dim}", "best-{epoch}", "mnist", "",
    ]
)  # fmt: skip
HOSTILE_VALUES = st.recursive(
    st.one_of(HOSTILE_STRINGS, st.integers(-(2**70), 2**70), st.floats(allow_nan=True), st.booleans(), st.none()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["_target_", "_args_", "dirpath", "filename", "a", "_partial_"]), inner,
                        max_size=3),
        st.fixed_dictionaries({"_target_": st.sampled_from([SPY, "torch.load", "builtins.open", "os.system",
                                                            "gan.models.nets.Generator"])}),
    ),
    max_leaves=6,
)  # fmt: skip
KEYS = st.sampled_from(
    ["loss", "seed", "data.name", "data.data_dir", "data.train_csv", "data.download", "model.generator",
     "model.discriminator.hidden_dim", "model.generator._target_", "trainer.default_root_dir", "trainer._args_",
     "callbacks.best_checkpoint", "callbacks.best_checkpoint.filename", "metrics.judge", "optimizer", "noise.x",
     "penalty", "resume", "hydra", "max_updates"]
)  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(edits=st.lists(st.tuples(KEYS, HOSTILE_VALUES), min_size=1, max_size=3))
def test_fuzz_carried_configs_run_nothing_write_nowhere_and_refuse_in_one_line(trained_tiny_run, tmp_path_factory,
                                                                               edits):  # fmt: skip
    import gan
    from gan.training.carried_config import carried_config

    base = tmp_path_factory.mktemp("fuzz")
    victim = base / "victim"
    victim.mkdir()
    (victim / "notes.txt").write_text("keep\n")
    saved = torch.load(trained_tiny_run / "checkpoints" / "last.ckpt", weights_only=True)
    for key, value in edits:
        _edit(saved["config"], key, value)
    CALLED.clear()
    outside = {p: p.stat().st_mtime_ns for p in base.parent.iterdir() if p != base and not p.is_symlink()}
    try:
        carried_config(saved["config"], "fuzz.ckpt")
    except GanError as refused:
        assert "\n" not in str(refused), str(refused)
    else:  # what loads through the rebuild loads as a run: built and drawn from, only the project's parts
        run = base / "run"
        (run / "checkpoints").mkdir(parents=True)
        torch.save(saved, run / "checkpoints" / "last.ckpt")
        try:
            gan.load(run).samples([0])
        except GanError as refused:
            assert "\n" not in str(refused), str(refused)
    assert not CALLED, CALLED
    assert (victim / "notes.txt").read_text() == "keep\n" and not Path("/tmp/anywhere").exists()
    changed = [p for p, mtime in outside.items() if p.stat().st_mtime_ns != mtime]
    assert not changed, changed
    assert not os.path.exists(base / "victim" / "notes.txt.broken")


# two-stage payloads: each value alone holds no "${" (or one whole reference), the resolved text would hold one
SPY_TEXT = "{oc.create:{_target_: tests.test_carried_runs.spy}}"
STAGED_STRINGS = st.sampled_from(
    [
        SPY_TEXT, "$", "${", "$$", "{spy:1}", "$${seed}", "$${trainer.default_root_dir}", "${trainer.default_root_dir}",
        "${data.name}${optimizer.weight_decay}", "\\${spy:4}", "\\\\${seed}", "$${data.name}", "${seed}", "${..lr}",
        "${oc", ".create:{_target_: tests.test_carried_runs.spy}}", "${data.name}", "a$${seed}b",
    ]
)  # fmt: skip
STAGED_KEYS = st.sampled_from(
    ["trainer.default_root_dir", "optimizer.weight_decay", "data.name", "seed", "noise.latent_dim", "loss",
     "model.generator.hidden_dim", "metrics.judge", "trainer.precision"]
)  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(edits=st.lists(st.tuples(STAGED_KEYS, STAGED_STRINGS), min_size=1, max_size=4))
def test_fuzz_two_stage_payloads_in_hydra_config_yaml_run_nothing(trained_tiny_run, edits):
    from gan.training.carried_config import carried_config

    config = yaml.safe_load(yaml.safe_dump(torch.load(trained_tiny_run / "checkpoints" / "last.ckpt",
                                                      weights_only=True)["config"]))  # fmt: skip
    for key, value in edits:
        _edit(config, key, value)
    CALLED.clear()
    try:
        cfg = carried_config(config, "run/.hydra/config.yaml", references=True)
    except GanError as refused:
        assert "\n" not in str(refused), str(refused)
    else:  # what loads holds no expression anywhere, and building it calls nothing of a carried value
        assert "${" not in OmegaConf.to_yaml(cfg)
        OmegaConf.to_container(cfg, resolve=True)
    assert not CALLED, CALLED
