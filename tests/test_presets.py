"""The presets are flat and named for their job: none chains through another that has a preset of its own, their
comments hold no results (those live in results/runs.jsonl), and a run trained with a removed preset still loads,
draws and resumes."""

import re
import shutil

import pytest
import yaml

from gan.config import CONF_DIR
from tests.conftest import quiet_csv_run, run_script

PRESETS = sorted((CONF_DIR / "experiment").glob("*.yaml"))
# a result in a comment: a percentage, or a judge-FD, judge-IS or KL value
RESULT = re.compile(r"\d+(\.\d+)?%|\b(FD|IS|KL|judge-FD|judge-IS)\b[^\n]{0,12}\d")


def preset_parents(path) -> list[str]:
    defaults = (yaml.safe_load(path.read_text()) or {}).get("defaults", [])
    return [d for d in defaults if isinstance(d, str) and d != "_self_"]


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.stem)
def test_a_preset_names_at_most_one_base_preset_and_that_one_is_flat(preset):
    parents = preset_parents(preset)
    assert len(parents) <= 1, parents
    for parent in parents:
        assert preset_parents(CONF_DIR / "experiment" / f"{parent}.yaml") == [], f"{preset.stem} -> {parent} -> ..."


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.stem)
def test_a_presets_comment_holds_no_result(preset):
    comments = "\n".join(line for line in preset.read_text().splitlines() if line.lstrip().startswith("#"))
    assert RESULT.search(comments) is None, RESULT.search(comments)[0]


def test_the_mnist_presets_are_the_recipe_its_quick_cut_and_its_legible_variant():
    from tests.conftest import compose_config

    mnist, quick, legible = (compose_config(f"experiment={name}") for name in ("mnist", "mnist_quick", "mnist_legible"))
    assert quick.model == mnist.model and quick.max_images < mnist.max_images
    assert legible.model.info_weight == 1.0 and legible.noise._target_.endswith("CodedGaussian")


# the removed modern_mnist_refined, as the override command its records keep (results/runs.jsonl, docs/log.md)
REMOVED_REFINED = ["experiment=mnist", "ramps=none", "schedule=linear", "model.discriminator.refine=0",
                   "model.generator.refine=1", "optimizer.lr=4.6e-4", "trainer.precision=32-true"]  # fmt: skip


def test_a_run_trained_with_a_removed_preset_loads_draws_and_resumes(tiny_csv, tmp_path):
    import gan

    run = tmp_path / "run"
    args = [*quiet_csv_run(tiny_csv, tmp_path), *REMOVED_REFINED, "max_images=64", "threads=1", f"hydra.run.dir={run}"]
    trained = run_script("train.py", *args, cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    shutil.rmtree(run / ".hydra")  # its config travels in the checkpoint; no preset name is needed to rebuild it
    loaded = gan.load(run)
    assert loaded.config.model.generator.refine == 1 and loaded.config.schedule.shape == "linear"
    assert loaded.samples([0, 1]).images.shape == (2, 784)
    resumed = run_script("train.py", f"resume={run}", "max_images=128", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    import torch

    assert torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["gan"]["state"]["updates"] == 2
