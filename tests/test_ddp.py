"""Multi-process training through Lightning's DDP strategy: two CPU processes (gloo) stay in lockstep."""

import json
import re
from pathlib import Path

import pytest
import torch
from lightning.pytorch.callbacks import Callback

from tests.conftest import ROOT, run_script, synthetic, write_csv


class SaveEachRank(Callback):
    """Each process saves its own D and G when training ends: what the test compares, not the run's own check."""

    def __init__(self, folder: str):
        self.folder = Path(folder)

    def on_train_end(self, trainer, pl_module):
        torch.save(pl_module.state_dict(), self.folder / f"rank{trainer.global_rank}.pt")


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("batch", "updates_per_epoch"),
    [
        ([], 100),  # 100 images per rank: 100 faithful updates, or 12 of 8 and one of 4
        (["data.batch_size=8"], 13),
        (["data.batch_size=8", "loss=rpgan", "penalty=r1_r2"], 13),  # the penalties' double backward under DDP
    ],
    ids=["faithful", "batched", "batched with R1 and R2"],
)
def test_two_ddp_processes_train_identical_networks_on_different_data(tmp_path, batch, updates_per_epoch):
    csv = write_csv(tmp_path / "tiny.csv", *synthetic(200))
    result = run_script(
        "train.py",
        "model=improved",
        "noise=randn",
        "data=csv",
        f"data.train_csv={csv}",
        f"data.data_dir={tmp_path}",
        "data.chunk_size=16",
        "metrics.enabled=false",
        "trainer.max_epochs=2",
        "trainer.enable_progress_bar=false",
        "trainer.accelerator=cpu",
        "trainer.devices=2",
        "+trainer.strategy=ddp_find_unused_parameters_true",
        "+callbacks.each_rank._target_=tests.test_ddp.SaveEachRank",
        f"+callbacks.each_rank.folder={tmp_path}",
        *batch,
        cwd=tmp_path,
        timeout=600,
        env={"PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    run_dir = tmp_path / re.search(r"run folder: (.+)", result.stdout).group(1).strip()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["processes"] == 2
    # each rank's own D and G, saved by that rank: identical, bit for bit (gradients were averaged), and trained
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1)]
    assert ranks[0].keys() == ranks[1].keys() and all(torch.equal(ranks[0][k], ranks[1][k]) for k in ranks[0])
    saved = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    assert all(torch.equal(saved[k], ranks[0][k]) for k in saved)  # what rank 0 saved is the run's result
    assert summary["ranks_agree"] is True
    # each rank walked its own half of the data: 100 images per epoch, not 200
    assert summary["updates"] == 2 * updates_per_epoch
