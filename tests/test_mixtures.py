"""The 2D Gaussian mixtures, PacGAN's metrics on them, and PacGAN's 2D networks."""

import math

import pytest
import torch

from gan.data.mixtures import GaussianMixture, MixtureDataModule, grid_means, ring_means
from gan.evaluation.mixture_metrics import MixtureMetrics
from gan.models.nets import PointDiscriminator, PointGenerator
from gan.training.fit import train
from tests.conftest import compose_config


def test_the_means_are_the_papers():
    ring = ring_means(8)
    assert torch.allclose(ring[2], torch.tensor([0.0, 1.0]), atol=1e-6) and torch.allclose(
        ring.norm(dim=1), torch.ones(8)
    )
    grid = grid_means(5, 2.0)
    assert sorted(set(grid[:, 0].tolist())) == [-4.0, -2.0, 0.0, 2.0, 4.0] and len(grid) == 25


@pytest.mark.parametrize("data, modes, std", [("ring8", 8, 0.01), ("grid25", 25, 0.05)])
def test_real_samples_capture_every_mode_at_high_quality(data, modes, std):
    module = MixtureDataModule(**{k: v for k, v in compose_config(f"data={data}").data.items() if k != "_target_"})
    assert module.mixture.std == std and len(module.mixture.means) == modes
    points, _ = module.mixture.sample(2500, seed=5)
    values = MixtureMetrics(module.mixture, name=module.name)(points)
    # within 3 standard deviations of its mean: 1 - exp(-9/2) = 98.9% of a 2D Gaussian's samples
    assert values["modes"] == modes and values["kl"] < 0.03
    assert values["high_quality"] == pytest.approx(1 - math.exp(-4.5), abs=0.01)
    assert values["precision"] > 0.9 and values["recall"] > 0.9


def test_a_collapse_onto_one_mode_counts_one_mode_and_the_largest_kl():
    mixture = GaussianMixture(ring_means(8), 0.01)
    points = mixture.means[3] + 0.01 * torch.randn(2500, 2, generator=torch.Generator().manual_seed(0))
    values = MixtureMetrics(mixture)(points)
    assert values["modes"] == 1 and values["kl"] == pytest.approx(math.log(8))
    assert values["precision"] > 0.9 and values["recall"] < 0.2


def test_samples_off_the_modes_are_not_high_quality_and_capture_nothing():
    mixture = GaussianMixture(grid_means(), 0.05)
    points = torch.full((2500, 2), 1.0)  # between four means
    values = MixtureMetrics(mixture)(points)
    assert values["modes"] == 0 and values["high_quality"] == 0 and values["kl"] == pytest.approx(math.log(25))


def test_pacgan_networks_have_the_papers_shapes():
    G, D = PointGenerator(), PointDiscriminator(pack=3)
    assert G(torch.randn(100, 2)).shape == (100, 2)
    assert D(torch.randn(300, 2)).shape == (100, 1)  # 3 points per judgement
    assert sum(isinstance(m, torch.nn.BatchNorm1d) for m in G.modules()) == 4
    assert D.model[0].linear.out_features == 200 * 5 and D.model[0].linear.in_features == 2 * 3


@pytest.mark.e2e
@pytest.mark.parametrize("extra", [[], ["model.pack=2", "model.ema_decay=0.99"], ["experiment=cure_minibatch_std"]])
def test_a_2d_run_trains_measures_and_draws(tmp_path, extra):
    cfg = compose_config(
        "model=mlp2d",
        "data=grid25",
        "data.samples=2000",
        "max_updates=30",
        "metrics.enabled=true",
        "trainer.enable_progress_bar=false",
        "trainer.enable_model_summary=false",
        *extra,
    )
    summary = train(cfg, tmp_path / "run")
    metrics = summary["metrics"]
    assert metrics["possible_modes"] == 25 and 0 <= metrics["high_quality"] <= 1
    assert {"precision", "recall", "density", "coverage"} <= metrics.keys()
    assert (tmp_path / "run" / "samples.png").is_file() and summary["objective"] == metrics["kl"]
