"""Sweeps: a compared multirun, parallel and submitit launchers, and an Optuna search, on tiny data."""

import re

import pytest
import yaml

from tests.conftest import run_script, synthetic, write_csv


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sweeps")
    write_csv(folder / "tiny.csv", *synthetic(200))
    return folder


def sweep(workdir, *overrides):
    """Run a multirun from ``workdir``; return the sweep folder it made."""
    before = set((workdir / "lightning_logs" / "multirun").glob("*"))
    result = run_script(
        "train.py",
        "-m",
        "data=csv",
        f"data.train_csv={workdir / 'tiny.csv'}",
        f"data.data_dir={workdir}",
        "metrics.enabled=false",
        "trainer.enable_progress_bar=false",
        "max_updates=64",
        *overrides,
        cwd=workdir,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (new,) = set((workdir / "lightning_logs" / "multirun").glob("*")) - before
    return new, result


def run_folders(sweep_dir):
    return sorted(p.parent.parent for p in sweep_dir.glob("*/.hydra/overrides.yaml"))


@pytest.mark.e2e
def test_a_multirun_compares_in_one_sweep_folder_and_report(workdir):
    sweep_dir, _ = sweep(workdir, "model=baseline,improved", "noise=rand,randn")
    runs = run_folders(sweep_dir)
    names = [run.name for run in runs]
    assert len(runs) == 4 and all("model=" in n and "noise=" in n for n in names)
    assert all((run / "summary.json").is_file() and list(run.glob("events.out.tfevents.*")) for run in runs)

    (runs[0] / "summary.json").unlink()  # as if that run were still going or had failed
    report = run_script("report.py", sweep_dir, cwd=workdir)
    assert report.returncode == 0, report.stderr
    table = [line for line in report.stdout.splitlines() if line.startswith("| ") and "---" not in line]
    assert table[0].startswith("| model | noise | dataset (judge accuracy) | status |")
    assert len(table) == 5 and sum("| done |" in line for line in table) == 3
    assert "stopped or running" in table[1]
    assert (sweep_dir / "report.md").is_file() and (sweep_dir / "report.png").stat().st_size > 0


@pytest.mark.e2e
def test_the_parallel_launcher_runs_jobs_in_separate_processes_with_one_thread_each(workdir):
    sweep_dir, result = sweep(workdir, "+launcher=parallel", "seed=0,1")
    assert "Joblib.Parallel" in result.stdout + result.stderr
    runs = run_folders(sweep_dir)
    assert len(runs) == 2 and all((run / "summary.json").is_file() for run in runs)
    assert all(yaml.safe_load((run / ".hydra" / "config.yaml").read_text())["threads"] == 1 for run in runs)


@pytest.mark.e2e
def test_submitit_local_runs_the_cluster_code_path(workdir):
    sweep_dir, _ = sweep(workdir, "+launcher=submitit_local", "seed=0,1")
    runs = run_folders(sweep_dir)
    assert len(runs) == 2 and all((run / "summary.json").is_file() for run in runs)
    assert list(sweep_dir.glob(".submitit/*/*_result.pkl"))  # submitit's own job records


@pytest.mark.e2e
def test_an_optuna_search_reports_each_trial_and_the_best(workdir):
    sweep_dir, result = sweep(workdir, "+sweep=search", "hydra.sweeper.n_trials=3", "log_every=1")
    runs = run_folders(sweep_dir)
    assert len(runs) == 3
    objectives = [yaml.safe_load((run / "summary.json").read_text())["objective"] for run in runs]
    best = yaml.safe_load((sweep_dir / "optimization_results.yaml").read_text())
    assert best["best_value"] == pytest.approx(min(objectives))
    assert set(best["best_params"]) == {"optimizer.lr", "model.latent_dim", "data.batch_size"}
    assert re.search(r"Best value: ", result.stdout + result.stderr)


@pytest.mark.parametrize(
    ("metrics", "objective", "expected"),
    [
        ({"judge_fd": 30.5, "confident": 0.6, "kl": 0.01}, "judge_fd", 30.5),
        ({"judge_fd": 30.5, "confident": 0.6, "kl": 0.01}, "low_quality", 0.4),
        ({"kl": 0.2, "high_quality": 0.85}, "judge_fd", 0.2),  # a 2D mixture: its mode KL
        ({"kl": 0.2, "high_quality": 0.85}, "low_quality", 0.15),
        (None, "low_quality", 0.7),  # no judge measured the run: the loss balance
    ],
)
def test_the_search_objective_is_the_chosen_metric(metrics, objective, expected):
    from gan.training.run_record import search_objective

    assert search_objective(metrics, 0.7, objective) == pytest.approx(expected)
