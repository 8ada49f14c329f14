"""The classifier two-sample test: about 50% on two samples of one distribution, near 100% on noise against data,
its floor cached for its budget, and its place in evaluate's API, summary.json and the sweep report."""

import json

import pytest
import torch

from gan.evaluation.two_sample import TwoSampleTest, two_sample_metrics
from tests.conftest import synthetic

QUICK = TwoSampleTest(images=400, epochs=3)


def digit_like(rows: int, seed: int) -> torch.Tensor:
    """Synthetic images of one distribution: mostly 0, some bright pixels (tests/conftest.py's)."""
    return torch.from_numpy(synthetic(rows, seed)[1]).float() / 255


def test_two_samples_of_one_distribution_read_about_50_percent():
    assert 0.35 <= QUICK.accuracy(digit_like(400, 1), digit_like(400, 2)) <= 0.65


def test_noise_against_data_reads_near_100_percent():
    assert QUICK.accuracy(torch.rand(400, 784), digit_like(400, 3)) >= 0.95


def test_the_floor_is_measured_once_per_budget_and_cached(tmp_path, monkeypatch):
    real, cache = digit_like(800, 4), tmp_path / "floor.json"
    floor = QUICK.floor(real, cache)
    assert json.loads(cache.read_text())["floor"] == floor
    monkeypatch.setattr(TwoSampleTest, "accuracy", lambda *a: pytest.fail("measured again"))
    assert QUICK.floor(real, cache) == floor
    values = {"budget": "another", "floor": 0.1}
    cache.write_text(json.dumps(values))  # another budget's floor is not this one's
    monkeypatch.setattr(TwoSampleTest, "accuracy", lambda *a: 0.5)
    assert QUICK.floor(real, cache) == 0.5


def test_the_test_never_sees_more_than_its_budget_and_reports_both_numbers(tmp_path):
    values = two_sample_metrics(torch.rand(900, 784), digit_like(2000, 5), tmp_path / "f.json", QUICK)
    assert set(values) == {"two_sample", "two_sample_floor"} and values["two_sample"] >= 0.95


def test_a_run_reports_the_test_through_the_api_and_summary(trained_tiny_run, tmp_path):
    import gan

    run = gan.load(trained_tiny_run)
    values = run.two_sample(samples=64)
    assert 0.0 <= values["two_sample"] <= 1.0 and 0.0 <= values["two_sample_floor"] <= 1.0


def test_the_sweep_report_shows_the_test_with_its_floor(tmp_path):
    from gan.evaluation.sweep_report import markdown_table, read_sweep
    from tests.test_sweep_report import _run

    _run(tmp_path, "a", ["seed=0"], 900, 1.0)
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    summary["metrics"] |= {"two_sample": 0.57, "two_sample_floor": 0.55}
    (tmp_path / "a" / "summary.json").write_text(json.dumps(summary))
    table = markdown_table(read_sweep(tmp_path))
    assert "two-sample (floor)" in table and "57.0% (55.0%)" in table


def test_two_sample_on_a_2d_mixture_is_refused_before_any_work():
    from gan.errors import ConfigError
    from gan.training.config_checks import check_config
    from tests.test_objectives import ring_config

    with pytest.raises(ConfigError, match="metrics.two_sample=true reads images"):
        check_config(ring_config("metrics.two_sample=true"))


def test_metrics_two_sample_puts_the_test_in_summary_json(tiny_csv, tmp_path):
    from gan.training.fit import train
    from tests.conftest import tiny_run_config

    cfg = tiny_run_config(tiny_csv, tmp_path, "model=improved", "data.batch_size=16", "max_updates=3",
                          "metrics.two_sample=true")  # fmt: skip
    train(cfg, tmp_path / "run")
    metrics = json.loads((tmp_path / "run" / "summary.json").read_text())["metrics"]
    assert 0.5 <= metrics["two_sample"] <= 1.0 and "two_sample_floor" in metrics
    assert (tmp_path / "judges" / "tiny-two-sample-floor.json").is_file()  # data=csv names its data by the file
