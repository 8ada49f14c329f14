"""Batch size 1 is the walkthrough's loop exactly: same seed, same 200 samples, identical weights."""

import pytest
import torch

from gan.models import walkthrough
from gan.training.fit import train
from tests.conftest import compose_config

LADDER = {
    "baseline": ((), dict(improved=False, seed_size=1, generate_random=torch.rand)),
    "improved_seed1": (("model=improved", "model.latent_dim=1"), dict(improved=True, seed_size=1)),
    "improved_randn": (
        ("model=improved", "noise=randn"),
        dict(improved=True, seed_size=100, generate_random=torch.randn),
    ),
}


@pytest.mark.parametrize("rung", LADDER)
def test_batch_size_1_matches_the_walkthrough_bit_for_bit(rung, tiny_csv, tmp_path):
    overrides, reference_args = LADDER[rung]
    cfg = compose_config(
        *overrides,
        "data=csv",
        f"data.train_csv={tiny_csv}",
        f"data.data_dir={tmp_path}",
        "seed=7",
        "trainer.enable_progress_bar=false",
        "data.chunk_size=64",
    )
    summary = train(cfg, tmp_path / "run")
    saved = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", weights_only=False)
    module = saved["state_dict"]

    torch.manual_seed(7)
    D, G = walkthrough.run(walkthrough.MnistDataset(tiny_csv), **reference_args)

    assert summary["updates"] == 200
    for prefix, network in (("discriminator.", D), ("generator.", G)):
        for name, expected in network.state_dict().items():
            assert torch.equal(module[prefix + name], expected), f"{prefix}{name} differs from the walkthrough"
    # the recorded loss curves are the walkthrough's progress lists too, value for value
    assert len(D.progress) == 40 and len(G.progress) == 20
    recorded = saved["gan"]["progress"]
    assert [loss for _, loss in recorded["D"]] == D.progress and [loss for _, loss in recorded["G"]] == G.progress
