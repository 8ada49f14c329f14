"""Small input never makes a huge allocation, and every accepted value works end to end: what cannot work is
refused before any work, naming its key."""

import os
import re
import resource

import pytest
import torch

from gan.data.csv_files import CsvFormatError, read_csv
from gan.errors import ConfigError
from gan.rules import MAX_GRID_SIDE
from gan.training.config_checks import check_config
from gan.training.fit import train
from tests.conftest import compose_config, run_script, synthetic, tiny_run_config, write_csv


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_a_very_long_line_is_refused_as_soon_as_it_is_read(tmp_path):
    wide = tmp_path / "wide.csv"
    wide.write_text("1," + ",".join(["0"] * 2_000_000) + "\n")  # 4 MB: one row of 2 million columns
    before = _peak_mb()
    with pytest.raises(CsvFormatError, match="line 1: longer than"):
        read_csv(wide)
    assert _peak_mb() - before < 100  # parsed whole, this line took gigabytes


def test_a_file_of_nul_bytes_is_refused_at_once(tmp_path):
    sparse = tmp_path / "zeros.csv"
    with open(sparse, "wb") as f:
        f.truncate(2 * 2**30)  # 2 GB that take no disk
    with pytest.raises(CsvFormatError, match="line 1: holds NUL bytes"):
        read_csv(sparse)


def test_a_long_line_after_good_rows_is_named_by_its_number(tmp_path):
    labels, pixels = synthetic(3)
    path = write_csv(tmp_path / "x.csv", labels, pixels)
    with open(path, "a") as f:
        f.write("1," + ",".join(["7"] * 100_000) + "\n")
    with pytest.raises(CsvFormatError, match="line 4: longer than"):
        read_csv(path)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["sample_grid=[0,3]"], "sample_grid=[0, 3] is invalid"),
        (["sample_grid=[2]"], "sample_grid=[2] is invalid"),
        ([f"sample_grid=[{MAX_GRID_SIDE + 1},2]"], "sample_grid=[17, 2] is invalid"),
        (["sample_grid=[1000,1000]"], "sample_grid=[1000, 1000] is invalid"),
        (["seed=-1"], "seed=-1 is invalid: it must be an integer in 0 .. 4294967295"),
        (["seed=1.5"], "seed=1.5 is invalid"),
        (["data.batch_size=1.5"], "data.batch_size=1.5 is invalid: it must be an integer >= 1"),
        (["data.batch_size=0"], "data.batch_size=0 is invalid"),
        (["data.chunk_size=true"], "data.chunk_size=True is invalid"),
        (["data.name=../../x"], "data.name=../../x is invalid"),
        (["metrics.objective=fid"], "metrics.objective=fid is invalid: it must be judge_fd or low_quality"),
        (["model=dcgan", "model.generator.refine=-1"], "model.generator.refine=-1 is invalid: it must be an integer >= 0"),  # noqa: E501
        (["model=dcgan", "model.discriminator.refine=2.5"], "model.discriminator.refine=2.5 is invalid"),
        (["data.name=a/b"], "data.name=a/b is invalid"),
        (["optimizer.lr=inf"], "optimizer.lr=inf is invalid: it must be a finite number > 0"),
        (["optimizer.lr=nan"], "optimizer.lr=nan is invalid"),
        (["optimizer.lr=-0.1"], "optimizer.lr=-0.1 is invalid"),
        (["max_updates=0"], "max_updates=0 is invalid"),
        (["max_images=2.5"], "max_images=2.5 is invalid"),
        (["metrics.samples=10000000"], "metrics.samples=10000000 is invalid"),
        (["checkpoints.every_minutes=0"], "checkpoints.every_minutes=0 is invalid"),
        (["threads=0"], "threads=0 is invalid"),
        (["trainer.max_epochs=1.5"], "trainer.max_epochs=1.5 is invalid"),
        (
            ["model=improved", "model.latent_dim=0"],
            "model.latent_dim=0 is invalid: it must be an integer in 1 .. 10,000",
        ),
        (["model=improved", "model.generator.leaky_slope=-0.02"], "model.generator.leaky_slope=-0.02 is invalid"),
        (["model=improved", "model.discriminator.leaky_slope=-1"], "model.discriminator.leaky_slope=-1 is invalid"),
        (["penalty.gp=-2"], "penalty.gp=-2 is invalid"),
        (["penalty.every=0"], "penalty.every=0 is invalid"),
        (["data.batch_size=8", "schedule.final=2"], "schedule.final=2 is invalid"),
        (["data.batch_size=8", "trainer.max_steps=-5"], "trainer.max_steps=-5 is invalid"),
        (["trainer.max_time=abc"], "trainer.max_time=abc is invalid"),
        (["trainer.devices=100000"], "trainer.devices=100000 is invalid: this machine has"),
    ],
)
def test_a_bad_value_is_refused_before_any_work_naming_its_key(overrides, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        check_config(compose_config(*overrides))


def test_a_key_the_config_does_not_know_is_refused_naming_it(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown: not a key of this project's config"):
        check_config(compose_config("+unknown.key=1"))
    check_config(compose_config("+unknown.key=1"), fresh=False)  # a carried config may hold a key since removed
    result = run_script("train.py", "+unknown.key=1", cwd=tmp_path)
    assert result.returncode == 1 and "unknown: not a key" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []  # refused before any work: no run folder


@pytest.mark.parametrize(
    "overrides", [("data=ring8", "model=dcgan"), ("data=grid25", "model=baseline"), ("data=ring8", "model=conditional"),
                  ("data=mnist", "model=mlp2d")], ids=lambda o: " ".join(o),
)  # fmt: skip
def test_points_and_images_need_their_own_networks(overrides):
    with pytest.raises(ConfigError, match=r"use model=mlp2d with data=ring8 or grid25"):
        check_config(compose_config(*overrides))


def test_repeated_class_names_are_refused():
    with pytest.raises(ValueError, match="data.class_names repeats a"):
        check_config(compose_config("data.class_names=[a,a,b,c,d,e,f,g,h,i]"))


def test_more_threads_than_cores_warns(tiny_csv, tmp_path, caplog):
    cores = len(os.sched_getaffinity(0))
    train(tiny_run_config(tiny_csv, tmp_path, f"threads={cores + 1}", "max_updates=5"), tmp_path / "run")
    assert any("threads beyond the cores" in r.message for r in caplog.records)


def test_a_pack_larger_than_the_data_is_refused_before_any_work(tmp_path):
    one = write_csv(tmp_path / "one.csv", *synthetic(1))
    with pytest.raises(ValueError, match="model.pack=500 .* not one update fits"):
        train(tiny_run_config(one, tmp_path, "model.pack=500"), tmp_path / "run")
    assert not (tmp_path / "run" / "checkpoints").exists()


def _stacked(tmp_path, channels):
    train_csv = write_csv(tmp_path / "a.csv", *synthetic(60))
    test_csv = write_csv(tmp_path / "b.csv", *synthetic(40, seed=1))
    return [
        "data=stacked_mnist",
        "model=dcgan",
        f"data.train_csv={train_csv}",
        f"data.test_csv={test_csv}",
        "data.download=null",
        f"data.data_dir={tmp_path}",
        "data.samples=64",
        f"data.channels={channels}",
        "data.batch_size=16",
        "max_updates=2",
        "trainer.enable_progress_bar=false",
        "metrics.enabled=false",
    ]


@pytest.mark.e2e
def test_two_stacked_channels_train_and_draw_end_to_end(tmp_path):
    result = run_script("train.py", *_stacked(tmp_path, 2), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (run,) = tmp_path.glob("lightning_logs/*/*")
    assert (run / "samples.png").is_file() and (run / "summary.json").is_file()


@pytest.mark.e2e
def test_more_stacked_channels_than_a_picture_shows_are_refused_in_one_line(tmp_path):
    result = run_script("train.py", *_stacked(tmp_path, 5), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: data.channels=5 is invalid: it must be 1, 2 or 3 (10, 100 or 1,000 modes); "
        "a sample is shown as one colour picture"
    ]
    assert not (tmp_path / "lightning_logs").exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["model=improved", "model.latent_dim=100000000"], "model.latent_dim=100000000 is invalid"),
        (["model=dcgan", "model.generator.channels=100000"], "model.generator.channels=100000 is invalid"),
        (["model=improved", "model.discriminator.hidden_dim=1000000"], "model.discriminator.hidden_dim=1000000"),
    ],
)
def test_sizes_that_would_exhaust_memory_are_refused(overrides, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        check_config(compose_config(*overrides))


def test_the_api_bounds_what_one_picture_draws(trained_tiny_run):
    import gan

    run = gan.load(trained_tiny_run)
    with pytest.raises(ConfigError, match="at most 10,000"):
        run.samples(range(10**7))
    with pytest.raises(ConfigError, match="steps=1000000"):
        run.interpolate(1, 2, steps=10**6)
    result = run_script("evaluate.py", trained_tiny_run, "--samples", 100_000_000, cwd=trained_tiny_run.parent)
    assert result.returncode == 1 and "--samples 100000000: must be in 2 .. 100,000" in result.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason="a machine with a GPU may use it")
def test_asking_for_a_gpu_on_a_machine_without_one_is_refused():
    with pytest.raises(ConfigError, match="trainer.accelerator=gpu: this machine has no GPU"):
        check_config(compose_config("trainer.accelerator=gpu"))


@pytest.mark.parametrize(
    "override", ["metrics.enabled=flase", "data.shuffle=flase", "model.generator.layer_norm=maybe",
                 "trainer.enable_progress_bar=1"]
)  # fmt: skip
def test_a_switch_takes_true_or_false_only(override):
    key = override.split("=")[0]
    with pytest.raises(ConfigError, match=rf"{re.escape(override)} is invalid: it must be true or false"):
        check_config(compose_config("model=improved", override))
    check_config(compose_config("model=improved", f"{key}=FALSE"))  # Hydra's own spellings of a boolean pass


def test_every_switch_of_conf_is_held_to_true_or_false():
    from omegaconf import OmegaConf

    from gan.config import CONF_DIR
    from gan.training.config_checks import SWITCHES

    found = set()
    for model in sorted(p.stem for p in (CONF_DIR / "model").glob("*.yaml")):
        container = OmegaConf.to_container(compose_config(f"model={model}"), resolve=True)
        stack = [("", container)]
        while stack:
            key, node = stack.pop()
            if isinstance(node, dict):
                stack.extend((f"{key}.{k}" if key else k, v) for k, v in node.items() if not str(k).startswith("_"))
            elif isinstance(node, bool) and key != "trainer.deterministic":
                found.add(key)
    assert found <= set(SWITCHES), sorted(found - set(SWITCHES))
