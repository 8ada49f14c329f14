"""A sweep whose job fails still runs its other jobs; the failed one's folder says why, and report.py lists it."""

import json

import pytest

from tests.conftest import quiet_csv_run, run_script


@pytest.mark.e2e
@pytest.mark.parametrize("launcher", ["basic", "joblib"])
def test_a_failing_job_does_not_stop_the_others(tiny_csv, tmp_path, launcher):
    extra = [] if launcher == "basic" else ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"]
    result = run_script(
        "train.py",
        "-m",
        "model.pack=0,1",
        "hydra.sweep.dir=sweep",
        *extra,
        *quiet_csv_run(tiny_csv, tmp_path),
        cwd=tmp_path,
    )
    assert result.returncode == 1  # the sweep ran every job, and says one failed
    assert "1 job(s) of the sweep failed" in result.stderr
    (failed,) = (tmp_path / "sweep").glob("*model.pack=0*")
    (done,) = (tmp_path / "sweep").glob("*model.pack=1*")
    assert (done / "summary.json").is_file()
    status = json.loads((failed / "status.json").read_text())
    assert status["status"] == "failed" and "model.pack=0 is invalid" in status["error"]
    assert "model.pack=0 is invalid" in (failed / "train.log").read_text()

    report = run_script("report.py", tmp_path / "sweep", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    rows = {line.split("|")[1].strip(): line for line in report.stdout.splitlines() if line.startswith("| ")}
    assert "failed: model.pack=0 is invalid" in rows["0"] and "| done |" in rows["1"]


@pytest.mark.e2e
def test_a_job_whose_networks_cannot_be_built_is_recorded_as_failed(tiny_csv, tmp_path):
    # every job fails inside a constructor Hydra instantiates (an argument G does not take); each is still recorded
    result = run_script(
        "train.py",
        "-m",
        "seed=0,1",
        "hydra.sweep.dir=sweep",
        "+model.generator.bogus=1",
        *quiet_csv_run(tiny_csv, tmp_path),
        cwd=tmp_path,
    )
    assert result.returncode == 1
    jobs = list((tmp_path / "sweep").glob("*seed=*"))
    assert len(jobs) == 2
    for job in jobs:
        assert json.loads((job / "status.json").read_text())["status"] == "failed"
        assert (job / "train.log").read_text().strip()
