"""The sampling-time cures: truncation pulls the noise in, DRS keeps what the GAN's own D prefers."""

import pytest
import torch

import gan
from gan.models.nets import Critic
from gan.models.noise import Gaussian, Uniform
from gan.models.sampling_cures import RejectionSampler, truncate
from gan.training.fit import train
from tests.conftest import compose_config, run_script


def test_truncation_scales_the_noise_towards_its_centre():
    z = torch.tensor([[-2.0, 1.0], [0.0, 4.0]])
    assert torch.equal(truncate(z, 0.5), z / 2)
    assert torch.equal(truncate(torch.tensor([0.0, 1.0]), 0.5, Uniform.centre), torch.tensor([0.25, 0.75]))
    assert torch.equal(truncate(z, 1.0, Gaussian.centre), z)
    with pytest.raises(ValueError, match=r"truncation=0.0 is invalid: it must be in \(0, 1\]"):
        truncate(z, 0.0)


class PrefersRight(Critic):
    """A 'discriminator' that finds points with x > 0 real: logit 4 x, probability sigmoid(4 x)."""

    pack = 1

    def logits(self, points):
        return 4 * points[..., :1]


def test_drs_keeps_more_of_what_d_finds_real():
    random = torch.Generator().manual_seed(0)
    sampler = RejectionSampler(PrefersRight(), burn_in=2000, seed=1)
    kept = sampler.draw(lambda n: torch.randn(n, 2, generator=random), 3000)
    assert kept.shape == (3000, 2)
    assert (kept[:, 0] > 0).double().mean() > 0.75  # from 50% among the proposals
    assert 0 < sampler.acceptance < 1


def test_drs_keeps_or_drops_a_pack_together():
    class PackedPrefersRight(Critic):
        pack = 2

        def logits(self, points):  # [N, 2] -> [N / 2, 1]: both points of a pair judged at once
            return 4 * points.reshape(-1, 4)[:, :1]

    sampler = RejectionSampler(PackedPrefersRight(), pack=2, burn_in=100, seed=0)
    sampler.warm_up(lambda n: torch.randn(n, 2))
    mask = sampler.accept(torch.randn(200, 2))
    assert torch.equal(mask[0::2], mask[1::2])


def test_drs_stops_with_an_error_when_d_keeps_almost_nothing():
    class Never(Critic):  # the same logit for every sample
        def logits(self, points):
            return torch.zeros(len(points), 1)

    # gamma at the 100th percentile keeps about half of equal scores: not 10,000 of at most 10,000 proposals
    sampler = RejectionSampler(Never(), percentile=100, burn_in=10, max_proposals=1)
    with pytest.raises(ValueError, match="lower the percentile"):
        sampler.draw(lambda n: torch.randn(n, 2), 10_000)
    assert sampler.proposed == 10_000 and 0.3 < sampler.acceptance < 0.7


@pytest.mark.e2e
def test_evaluate_prints_a_row_per_setting_and_draws_the_tradeoff(tmp_path):
    cfg = compose_config(
        "model=mlp2d",
        "data=ring8",
        "data.samples=2000",
        "max_updates=40",
        "trainer.enable_progress_bar=false",
        "trainer.enable_model_summary=false",
    )
    train(cfg, tmp_path / "run")
    result = run_script(
        "evaluate.py", tmp_path / "run", "--samples", 500, "--truncation", 1.0, 0.5, "--drs", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith("| truncation")]
    assert len(rows) == 4 and sum("DRS" in row for row in rows) == 2
    assert (tmp_path / "run" / "evaluation" / "tradeoff.png").is_file()
    drawn = run_script("generate.py", tmp_path / "run", "--drs", "samples", cwd=tmp_path)
    assert drawn.returncode == 0, drawn.stderr
    assert (tmp_path / "run" / "generated" / "samples_drs.png").is_file()


@pytest.mark.e2e
def test_the_per_epoch_metrics_take_the_sampling_time_cures(tmp_path):
    def run(folder, *extra):
        cfg = compose_config(
            "model=mlp2d", "data=ring8", "data.samples=1000", "max_updates=20", "metrics.enabled=true",
            "metrics.samples=400", "trainer.enable_progress_bar=false", "trainer.enable_model_summary=false", *extra,
        )  # fmt: skip
        return train(cfg, tmp_path / folder)["metrics"]

    plain, cured = run("plain"), run("cured", "metrics.drs=true", "metrics.truncation=0.8")
    # the same weights (same seed): the epoch's numbers are those of the samples each cure draws, and only those
    weights = gan.load(tmp_path / "cured")
    as_trained, with_cures = weights.metrics(samples=400), weights.metrics(samples=400, truncation=0.8, drs=True)
    assert all(plain[k] == as_trained[k] for k in as_trained)
    assert all(cured[k] == with_cures[k] for k in as_trained)
    assert any(cured[k] != plain[k] for k in as_trained)  # other samples, other numbers
    with pytest.raises(ValueError, match="metrics.truncation=2 is invalid"):
        from gan.training.config_checks import check_config

        check_config(compose_config("metrics.truncation=2"))


@pytest.mark.e2e
def test_evaluate_sweep_pools_each_sampling_setting_over_seeds(tmp_path):
    tiny = ["model=mlp2d", "data=ring8", "data.samples=1000", "max_updates=20", "trainer.enable_progress_bar=false"]
    result = run_script("train.py", "-m", "seed=0,1", "hydra.sweep.dir=sweep", *tiny, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    pooled = run_script("evaluate_sweep.py", tmp_path / "sweep", "--drs", "--samples", 500, cwd=tmp_path)
    assert pooled.returncode == 0, pooled.stderr
    rows = [line for line in pooled.stdout.splitlines() if line.startswith("| truncation")]
    assert [row.split("|")[1].strip() for row in rows] == ["truncation 1", "truncation 1, DRS"]
    assert all(row.split("|")[2].strip() == "2" for row in rows)  # two seeds pooled in each
    assert (tmp_path / "sweep" / "sampling_cures.md").is_file()
