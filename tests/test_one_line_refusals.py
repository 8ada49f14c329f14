"""Every refusal is one line naming the key or file and the reason, before any work, leaving no folder behind
(round six's cases: values Hydra or a constructor used to refuse with a traceback, weights that do not fit their
config, a memory limit below what a CSV needs)."""

import resource
import shutil

import pytest
import torch
from hydra.errors import InstantiationException

from gan.command_errors import message
from gan.data.csv_files import CsvFormatError, read_csv
from gan.errors import ConfigError
from tests.conftest import ROOT, quiet_csv_run, run_script, synthetic, write_csv


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ("optimizer.betas=[nan,2.0]", "optimizer.betas=[nan, 2.0] is invalid"),
        ("+model.generator.bogus=1", "model.generator.bogus: ConvGenerator takes no argument 'bogus'"),
        ("trainer.accelerator=tpu", "trainer.accelerator=tpu is invalid"),
        ("seed=" + "9" * 5000, "Exceeds the limit (4300 digits)"),
        ("hydra.run.dir=x/${now:}", "${now:} needs a time format"),
        ("resume=/dev/zero", "resume=/dev/zero: neither a run folder nor a checkpoint file"),
    ],
    ids=["nan betas", "unknown argument", "tpu", "5000 digits", "empty now", "a device file"],
)
def test_a_bad_value_is_refused_in_one_line_and_leaves_no_folder(tiny_csv, tmp_path, override, named):
    args = [*quiet_csv_run(tiny_csv, tmp_path), "data.batch_size=4", "model=dcgan", "max_updates=1", override]
    result = run_script("train.py", *args, cwd=tmp_path)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1 and named in lines[0], result.stderr
    assert not (tmp_path / "lightning_logs").exists() and not (tmp_path / "x").exists()


def test_hydras_error_in_call_to_target_keeps_its_causes_reason():
    try:
        try:
            raise ModuleNotFoundError("Requirement 'torch_xla>=1.13' not met")
        except ModuleNotFoundError as cause:
            raise InstantiationException("Error in call to target 'lightning.Trainer':\nmore") from cause
    except InstantiationException as error:
        assert message(error) == "Error in call to target 'lightning.Trainer': Requirement 'torch_xla>=1.13' not met"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda c, s: c["model"]["generator"].update(hidden_dim=300),
         "generator.model.0.weight is [200, 1] in the checkpoint, [300, 1]"),
        (lambda c, s: s.update(extra=torch.zeros(1)), "its weights hold extra"),
        (lambda c, s: s.pop(next(iter(s))), "its weights lack"),
    ],
    ids=["shape", "extra", "missing"],
)
def test_weights_that_do_not_fit_their_config_are_named_in_one_line(trained_tiny_run, tmp_path, change, named):
    import gan

    run = tmp_path / "run"
    shutil.copytree(trained_tiny_run, run)
    last = run / "checkpoints" / "last.ckpt"
    saved = torch.load(last, weights_only=True)
    change(saved["config"], saved["state_dict"])
    torch.save(saved, last)
    with pytest.raises(ConfigError) as refused:
        gan.load(run)
    assert "\n" not in str(refused.value) and str(last) in str(refused.value)
    assert named in str(refused.value)


def test_a_csv_larger_than_the_memory_limit_is_refused_before_it_is_parsed(tmp_path, monkeypatch):
    path = write_csv(tmp_path / "big.csv", *synthetic(2_000))  # 2,000 rows need 1.5 MiB as uint8
    with open("/proc/self/statm") as f:
        mapped = int(f.read().split()[0]) * resource.getpagesize()
    monkeypatch.setattr(resource, "getrlimit", lambda kind: (mapped + 2**20, resource.RLIM_INFINITY))
    with pytest.raises(CsvFormatError, match=r"2,000 rows need 1 MiB as uint8, but [0-9.]+ MiB of memory"):
        read_csv(path)


def test_a_nearly_full_disk_is_refused_before_hydra_writes(tmp_path, monkeypatch, caplog):
    """Hydra writes .hydra/ before any code of ours runs: with under 16 MiB free, train.py refuses first."""
    import importlib.util
    from collections import namedtuple

    spec = importlib.util.spec_from_file_location("train_script", ROOT / "scripts" / "train.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(script.shutil, "disk_usage", lambda path: usage(2**30, 2**30 - 2**20, 2**20))
    with pytest.raises(SystemExit):
        script._check_writable(tmp_path / "run", "hydra.run.dir")
    assert "no space left on the device (1.0 MiB free" in caplog.text and not (tmp_path / "run").exists()
