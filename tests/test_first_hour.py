"""A newcomer's first hour: two commands, clean output in human units, a real train.log, help texts, and
TensorBoard that compares runs at a glance (checked through TensorBoard's own event reader)."""

import os
import re
import subprocess

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2

from gan.training.fit import train
from gan.training.run_folders import run_name
from tests.conftest import ROOT, run_script, synthetic, tiny_run_config, write_csv


def test_the_readme_starts_with_two_commands_that_ci_runs_too():
    readme = (ROOT / "README.md").read_text()
    first_block = re.search(r"```bash\n(.*?)```", readme, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.splitlines() if line.strip()]
    assert commands == ["make train", "make test"]
    assert "make test-full" in (ROOT / ".ci" / "run").read_text()  # CI: the fast suite and the long tests
    outer = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}  # CI runs us from make
    dry = subprocess.run(
        ["make", "--no-print-directory", "-n", "-B", "test", "TORCH=torch==9.9"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=outer,
    )
    assert dry.returncode == 0, dry.stderr
    steps = dry.stdout.strip().splitlines()
    assert steps.index('.venv/bin/pip install --quiet "torch==9.9"') < steps.index(
        '.venv/bin/pip install --quiet -e ".[dev,docs]"'
    )
    assert steps[-1] == '.venv/bin/python -m pytest -m "not e2e"'


def _run_script(tmp_path, *overrides):
    csv = write_csv(tmp_path / "tiny.csv", *synthetic(200))
    command = ["data=csv", f"data.train_csv={csv}", f"data.data_dir={tmp_path}", "data.chunk_size=32"]
    return run_script("train.py", *command, "metrics.enabled=false", *overrides, cwd=tmp_path, timeout=120)


@pytest.mark.e2e
def test_the_output_reads_in_human_units_without_lightnings_noise(tmp_path):
    done = _run_script(tmp_path, "trainer.max_epochs=2")
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    for noise in ("litlogger", "GPU available", "TPU available", "LeafSpec", "weights_only", "Epoch 0/"):
        assert noise not in output, noise
    assert "epoch 1/2" in done.stderr and "epoch 2/2" in done.stderr and "200/200" in done.stderr
    assert re.search(r"\d+img/s", done.stderr)
    bar = re.findall(r"loss D (\d\.\d{3}) G (\d\.\d{3})", done.stderr)[-1]
    final = re.search(r"last losses \(as on the progress bar; D's two steps averaged\): D (\S+), G (\S+)", done.stdout)
    assert (final.group(1), final.group(2)) == bar  # the same pair, named the same way
    assert "done: 400 updates (400 images)" in done.stdout


@pytest.mark.e2e
def test_train_log_holds_the_runs_log(tmp_path):
    done = _run_script(tmp_path, "trainer.enable_progress_bar=false")
    assert done.returncode == 0, done.stderr
    (log,) = (tmp_path / "lightning_logs").glob("*/*/train.log")
    text = log.read_text()
    for line in (
        "run folder: ",
        "dataset: tiny, 200 training samples",
        "model: D Discriminator (157,201 parameters)",
        "device cpu, 1 thread(s)",
        "done: 200 updates (200 images)",
    ):
        assert line in text, line


@pytest.mark.e2e
def test_every_script_has_a_help_text():
    for script, words in (
        ("train.py", ["MNIST_MIRROR", "lightning_logs/<overrides>/<time>/", "max_images", "model: baseline"]),
        ("show_data.py", ["plot_image", "MNIST_MIRROR"]),
        ("check_discriminator.py", ["sanity check", "MNIST_MIRROR"]),
        ("generate.py", ["interpolate", "RUN/generated"]),
        ("evaluate.py", ["judge-FD"]),
        ("report.py", ["report.md"]),
        ("time_to_quality.py", ["wall-clock", "images seen"]),
        ("benchmark_layouts.py", ["channels_last", "torch.compile", "time ratio"]),
        ("train_classifier.py", ["FASHION_MNIST_MIRROR"]),
    ):
        done = run_script(script, "--help", cwd=ROOT)
        assert done.returncode == 0, done.stderr
        for word in words:
            assert word in done.stdout, (script, word)


def test_train_help_is_hydras_own_text_read_straight_from_conf():
    import subprocess
    import sys

    ours = run_script("train.py", "--help", cwd=ROOT)
    # Hydra's own --help, which lists the groups through its config repositories (the slow path ours replaces)
    code = (
        "import sys; sys.argv = ['scripts/train.py', '--help']; sys.path.insert(0, 'scripts'); import train; "
        "train.main.__wrapped__.__module__ = '__main__'; train.main()"  # Hydra finds conf/ beside the script
    )
    hydras = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert ours.returncode == 0 and hydras.returncode == 0, (ours.stderr, hydras.stderr)
    assert ours.stdout.replace(str(ROOT / "scripts" / "train.py"), "scripts/train.py") == hydras.stdout


def test_run_names_keep_what_changes_the_result_in_one_spelling():
    assert run_name("metrics.samples=1000,model=dcgan,threads=2,trainer.enable_progress_bar=false") == "model=dcgan"
    assert run_name("data.shuffle=False,model=improved") == run_name("data.shuffle=false,model=improved")
    sweep = (ROOT / "conf" / "train.yaml").read_text()
    assert "subdir: ${run_name:${hydra:job.override_dirname}}" in sweep  # multirun jobs: the same names


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """The same 200 images at batch size 1 and 10, metrics on (a judge trained on tiny data), 1 epoch each."""
    tmp_path = tmp_path_factory.mktemp("tb")
    train_csv = write_csv(tmp_path / "train.csv", *synthetic(200, 1))
    test_csv = write_csv(tmp_path / "test.csv", *synthetic(60, 2))
    runs = {}
    for batch in (1, 10):
        cfg = tiny_run_config(
            train_csv,
            tmp_path,
            f"data.test_csv={test_csv}",
            f"data.batch_size={batch}",
            "metrics.enabled=true",
            "metrics.samples=50",
        )
        train(cfg, tmp_path / f"batch{batch}")
        events = EventAccumulator(str(tmp_path / f"batch{batch}"), size_guidance={"images": 0, "scalars": 0})
        events.Reload()
        runs[batch] = events
    return runs


def test_scalars_metrics_and_images_share_one_axis_images_seen(two_runs):
    for batch, events in two_runs.items():
        assert events.Scalars("loss/G")[-1].step == 200, batch  # the last record: all 200 images seen
        assert [e.step for e in events.Scalars("metrics/kl")] == [200]
        assert [e.step for e in events.Images("samples")] == [200]
    # batch 10 records G every 10th update = every 100 images; batch 1 every 10 images: one scale for both
    assert [e.step for e in two_runs[10].Scalars("loss/G")] == [100, 200]
    assert [e.step for e in two_runs[1].Scalars("loss/G")][:3] == [10, 20, 30]


def test_the_tensorboard_panel_is_8x8_at_twice_the_size(two_runs):
    image = two_runs[1].Images("samples")[-1]
    assert (image.width, image.height) == (8 * 28 * 2, 8 * 28 * 2)


def test_hparams_hold_each_runs_choices_and_final_metrics(two_runs):
    content = two_runs[10].PluginTagToContent("hparams")
    start = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"])
    hparams = start.session_start_info.hparams
    assert hparams["data.batch_size"].number_value == 10
    assert hparams["model.discriminator"].string_value == "Discriminator"
    assert hparams["optimizer"].string_value == "SGD" and hparams["optimizer.lr"].number_value == 0.01
    tags = two_runs[10].Tags()["scalars"]
    for metric in ("hparams/modes", "hparams/kl", "hparams/confident", "hparams/judge_fd", "hparams/fit_seconds"):
        assert metric in tags, metric
