import os
from pathlib import Path

import numpy as np
import pytest

from gan.config import compose

ROOT = Path(__file__).resolve().parents[1]
SHARED_MNIST = ROOT.parent / "shared" / "mnist"


def compose_config(*overrides: str):
    """The training config as ``scripts/train.py`` would compose it, without starting a Hydra run.

    Judge metrics are off unless asked for: unit tests train on tiny synthetic data with no judge.
    """
    return compose("metrics.enabled=false", *overrides)


def tiny_run_config(csv, data_dir, *overrides: str):
    """A quiet config for a short run on a tiny CSV: chunks of 32 images, no progress bar or model summary."""
    return compose_config(
        "data=csv",
        f"data.train_csv={csv}",
        f"data.data_dir={data_dir}",
        "data.chunk_size=32",
        "trainer.enable_progress_bar=false",
        "trainer.enable_model_summary=false",
        *overrides,
    )


def write_csv(path: Path, labels, pixels, header: bool = False) -> Path:
    with open(path, "w") as f:
        if header:
            f.write("label," + ",".join(f"pixel{i}" for i in range(784)) + "\n")
        for label, row in zip(labels, pixels, strict=True):
            f.write(f"{label}," + ",".join(str(int(v)) for v in row) + "\n")
    return path


def synthetic(rows: int, seed: int = 0):
    """Random digit-like data: labels 0..9 and uint8 pixels, mostly 0 like MNIST."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, rows)
    pixels = rng.integers(0, 256, (rows, 784)) * (rng.random((rows, 784)) < 0.2)
    return labels, pixels


@pytest.fixture
def tiny_csv(tmp_path) -> Path:
    """200 synthetic rows in the walkthrough's CSV layout."""
    return write_csv(tmp_path / "tiny.csv", *synthetic(200))


@pytest.fixture(scope="session")
def trained_tiny_run(tmp_path_factory) -> Path:
    """One short run on 200 synthetic rows, trained once per session: the tests that only read or copy a finished
    run share it (copy it before changing anything)."""
    from gan.training.fit import train

    folder = tmp_path_factory.mktemp("trained")
    csv = write_csv(folder / "tiny.csv", *synthetic(200))
    train(tiny_run_config(csv, folder), folder / "run")
    return folder / "run"


@pytest.fixture(scope="session")
def mnist_dir(tmp_path_factory) -> Path:
    """A data folder with the real MNIST CSVs, made through the project's own download code."""
    from gan.data.download import download_mnist

    mirror = os.environ.get("MNIST_MIRROR") or str(SHARED_MNIST)
    if not (Path(mirror) / "train-images-idx3-ubyte.gz").exists() and "://" not in mirror:
        pytest.fail(f"no MNIST mirror at {mirror}: set MNIST_MIRROR to a folder with the four IDX .gz files")
    data_dir = tmp_path_factory.mktemp("data")
    download_mnist(data_dir / "mnist_train.csv", data_dir / "mnist_test.csv", mirrors=[mirror])
    return data_dir


def run_script(script: str, *args, cwd, timeout=180, env=None):
    """``python scripts/<script> args...`` in ``cwd``, as a user runs it; returns the CompletedProcess."""
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, ROOT / "scripts" / script, *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=None if env is None else {**os.environ, **env},
    )


def start_script(script: str, *args, cwd):
    """``python scripts/<script> args...`` started in ``cwd`` (to signal or kill it); returns the Popen."""
    import subprocess
    import sys

    command = [sys.executable, ROOT / "scripts" / script, *map(str, args)]
    return subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def quiet_csv_run(csv, data_dir) -> list[str]:
    """train.py overrides for a short, quiet run on a tiny CSV (no judge, no bar)."""
    return [
        "data=csv",
        f"data.train_csv={csv}",
        f"data.data_dir={data_dir}",
        "data.chunk_size=8",
        "trainer.enable_progress_bar=false",
        "metrics.enabled=false",
    ]
