"""Multi-process training through Lightning's DDP strategy: two CPU processes (gloo) stay in lockstep."""

import json
import re

import pytest

from tests.conftest import run_script, synthetic, write_csv


@pytest.mark.parametrize(
    ("batch", "updates_per_epoch"),
    [([], 100), (["data.batch_size=8"], 13)],  # 100 images per rank: 100 faithful updates, or 12 of 8 and one of 4
    ids=["faithful", "batched"],
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
        *batch,
        cwd=tmp_path,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    run_dir = tmp_path / re.search(r"run folder: (.+)", result.stdout).group(1).strip()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["processes"] == 2
    # every rank's D and G were gathered and compared after training, bit for bit
    assert summary["ranks_agree"] is True
    # each rank walked its own half of the data: 100 images per epoch, not 200
    assert summary["updates"] == 2 * updates_per_epoch
