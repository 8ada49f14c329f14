"""Precision, recall, density and coverage on sets with known answers."""

import pytest
import torch

from gan.evaluation.manifold import ManifoldMetrics, density_coverage, precision_recall


def _cloud(n=500, dim=8, seed=0, shift=0.0):
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed)) + shift


def test_a_set_against_itself_scores_one():
    real = _cloud()
    assert precision_recall(real, real) == {"precision": 1.0, "recall": 1.0}
    assert density_coverage(real, real)["coverage"] == 1.0


def test_far_apart_sets_score_zero():
    values = ManifoldMetrics(_cloud())(_cloud(seed=1, shift=100.0))
    assert values == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_copies_of_one_real_point_have_high_precision_and_recall_near_zero():
    real = _cloud()
    collapsed = real[:1].repeat(500, 1)
    values = ManifoldMetrics(real)(collapsed)
    assert values["precision"] == 1.0
    assert values["recall"] <= 2 / len(real) and values["coverage"] <= 10 / len(real)


def test_two_samples_of_one_distribution_score_high_but_not_perfect():
    values = ManifoldMetrics(_cloud(2000, dim=2))(_cloud(2000, dim=2, seed=1))
    assert 0.9 < values["precision"] < 1 and 0.9 < values["recall"] < 1
    assert 0.8 < values["density"] < 1.2 and 0.9 < values["coverage"] <= 1


def test_half_the_modes_keeps_precision_and_halves_recall():
    modes = torch.tensor([[0.0, 0.0], [10.0, 0.0]])
    real = modes[torch.arange(2000) % 2] + 0.1 * _cloud(2000, dim=2)
    half = modes[0] + 0.1 * _cloud(2000, dim=2, seed=1)
    values = ManifoldMetrics(real)(half)
    assert values["precision"] > 0.9 and values["recall"] == pytest.approx(0.5, abs=0.05)
    assert values["coverage"] == pytest.approx(0.5, abs=0.05)


def test_only_the_first_limit_samples_are_measured():
    real = _cloud()
    fake = torch.cat([real, _cloud(seed=2, shift=100.0)])  # the far half lies beyond the limit
    assert ManifoldMetrics(real, limit=len(real))(fake)["precision"] == 1.0
