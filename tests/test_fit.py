import re
from pathlib import Path

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from gan.training.fit import train
from tests.conftest import run_script, tiny_run_config


def weights(module):
    return {k: v.clone() for k, v in module.state_dict().items()}


def test_training_changes_both_networks_and_records_every_10_steps(tiny_csv, tmp_path):
    from gan.training.from_config import build_module

    cfg = tiny_run_config(tiny_csv, tmp_path)
    before = weights(build_module(cfg))
    summary = train(cfg, tmp_path / "run")
    after = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", weights_only=False)
    for name in ("generator.model.0.weight", "discriminator.model.0.weight"):
        assert not torch.equal(before[name], after["state_dict"][name]), f"{name} did not change"
    # 200 updates: D steps 400 times (every 10th is recorded: 40), G 200 times (20)
    assert summary["updates"] == 200
    assert len(after["gan"]["progress"]["D"]) == 40 and len(after["gan"]["progress"]["G"]) == 20
    assert after["gan"]["state"] | {"rng": None} == {
        "updates": 200,
        "images": 200,
        "epoch": 0,
        "epoch_updates": 200,
        "rng": None,
    }


def test_larger_batches_train_too(tiny_csv, tmp_path):
    summary = train(
        tiny_run_config(
            tiny_csv, tmp_path, "model=improved", "noise=randn", "data.batch_size=16", "trainer.max_epochs=2"
        ),
        tmp_path / "run",
    )
    assert summary["updates"] == 2 * 13 and summary["epochs"] == 2  # ceil(200 / 16) updates per epoch
    assert sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir()) == [
        "epoch=0.ckpt",
        "epoch=1.ckpt",
        "last.ckpt",
    ]


def test_a_loss_that_blows_up_stops_training_naming_the_step(tiny_csv, tmp_path):
    with pytest.raises(FloatingPointError, match=r"non-finite .* in step '.+' of update \d+"):
        train(tiny_run_config(tiny_csv, tmp_path, "model=improved", "optimizer.lr=1e30"), tmp_path / "run")
    assert not (tmp_path / "run" / "samples.png").exists()


@pytest.mark.e2e
def test_train_script_writes_one_run_folder_named_by_its_overrides(tiny_csv, tmp_path):
    result = run_script(
        "train.py",
        "model=improved",
        "noise=randn",
        "data=csv",
        f"data.train_csv={tiny_csv}",
        f"data.data_dir={tmp_path}",
        "trainer.enable_progress_bar=false",
        "metrics.enabled=false",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    run_dir = tmp_path / re.search(r"run folder: (.+)", result.stdout).group(1).strip()
    assert run_dir.parent.parent == tmp_path / "lightning_logs"
    assert "model=improved,noise=randn" in run_dir.parent.name  # Hydra sorts the overrides by key
    names = {p.name for p in run_dir.iterdir()}
    assert {
        ".hydra",
        "checkpoints",
        "samples.png",
        "loss_progress.png",
        "progress.csv",
        "summary.json",
    } <= names
    assert (run_dir / ".hydra" / "config.yaml").is_file()

    events = EventAccumulator(str(run_dir), size_guidance={"scalars": 0, "images": 0}).Reload()
    assert set(events.Tags()["scalars"]) >= {"loss/D", "loss/G"}
    assert [e.step for e in events.Scalars("loss/G")] == list(range(10, 201, 10))
    assert [e.step for e in events.Images("samples")] == [200]  # the axis is images seen: 200 after the epoch


def test_training_leaves_the_processs_signal_handlers_as_it_found_them(tiny_csv, tmp_path):
    import signal

    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    train(tiny_run_config(tiny_csv, tmp_path, "max_updates=5"), tmp_path / "run")
    assert {s: signal.getsignal(s) for s in before} == before


def test_bce_on_a_nan_probability_is_a_nan_loss_that_training_s_one_check_reports():
    from gan.models.losses import BCELoss

    probability = torch.tensor([0.5, float("nan")], requires_grad=True)
    loss = BCELoss()(probability, torch.ones(2))
    assert loss.isnan()
    loss.backward()  # the step still runs: its loss is what GAN._count reads, and names
    with pytest.raises(RuntimeError):  # any other refusal is not taken for divergence
        BCELoss()(torch.tensor([0.5, 1.5]), torch.ones(2))


def test_a_resume_reads_its_checkpoint_once(tiny_csv, tmp_path, monkeypatch):
    from gan.training.saved_runs import checkpoint_config, resumable_checkpoint

    train(tiny_run_config(tiny_csv, tmp_path, "model=improved"), tmp_path / "run")
    reads = []
    real_load = torch.load

    def counted(path, *args, **kwargs):
        if Path(path).suffix == ".ckpt":  # the CSV cache is read too
            reads.append(Path(path).name)
        return real_load(path, *args, **kwargs)

    monkeypatch.setattr(torch, "load", counted)
    checkpoint, saved = resumable_checkpoint(tmp_path / "run")  # as scripts/train.py resume= does
    cfg = checkpoint_config(saved, checkpoint)
    cfg.trainer.max_epochs = 2
    summary = train(cfg, tmp_path / "run", ckpt_path=checkpoint, saved=saved)
    assert summary["epochs"] == 2 and reads == ["last.ckpt"]


def test_the_run_banner_names_the_learning_rate_that_acts_not_the_one_a_ramp_replaces():
    from types import SimpleNamespace

    from omegaconf import OmegaConf

    from gan.models.schedules import Ramp, Ramps, Schedule
    from gan.training.fit import _rates

    cfg = OmegaConf.create({"optimizer": {"lr": 9e-4}})
    plain = SimpleNamespace(ramps=Ramps(), schedule=Schedule())
    assert _rates(cfg, plain) == "lr 0.0009"
    decayed = SimpleNamespace(ramps=Ramps(), schedule=Schedule("linear", 0.1))
    assert _rates(cfg, decayed) == "lr 0.0009, Schedule('linear', final=0.1)"
    ramped = SimpleNamespace(ramps=Ramps(lr=Ramp(1.3e-3, 1.3e-4, 660000), gamma=Ramp(0.05, 0.005, 660000)),
                             schedule=Schedule())  # fmt: skip
    assert _rates(cfg, ramped) == (
        "lr Ramp(0.0013 -> 0.00013 over 660,000 images, cosine); gamma Ramp(0.05 -> 0.005 over 660,000 images, cosine)"
    )
