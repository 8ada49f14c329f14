"""The Python API (gan.train, gan.load, gan.compare), the samples export, and the notebook that uses them."""

import os
import shutil

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

import gan
from gan.errors import ConfigError
from tests.conftest import ROOT, SHARED_MNIST, quiet_csv_run, run_script


@pytest.fixture
def api_run(tiny_csv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return gan.train(*quiet_csv_run(tiny_csv, tmp_path), "max_updates=60")


def test_train_makes_the_cli_s_run_folder_and_returns_the_run(api_run, tmp_path):
    (folder,) = tmp_path.glob("lightning_logs/*/*")
    assert api_run.folder == folder and folder.parent.name.startswith("data.chunk_size=8")
    for name in ("summary.json", "samples.png", "progress.csv", "train.log", ".hydra/overrides.yaml"):
        assert (folder / name).is_file(), name
    assert api_run.config.max_updates == 60 and "Run(" in repr(api_run)


def test_a_loaded_run_draws_the_panel_s_seeds_and_keeps_its_losses(api_run):
    again = gan.load(api_run.folder)
    samples = again.samples(range(6))
    assert samples.images.shape == (6, 784) and (samples.rows, samples.cols) == (2, 3)
    assert torch.equal(samples.images, api_run.samples(range(6)).images)
    assert samples._repr_png_().startswith(b"\x89PNG")  # a notebook shows it inline
    assert again.interpolate(3, 8, steps=5).images.shape == (5, 784)
    losses = again.losses
    assert isinstance(losses, pd.DataFrame) and set(losses.network) == {"D", "G"}
    assert losses["update"].max() <= 60
    assert again.plot_losses().axes


@pytest.mark.e2e
def test_compare_reads_a_sweep_into_a_table_and_a_figure(tiny_csv, tmp_path):
    result = run_script(
        "train.py",
        "-m",
        "seed=0,1",
        "hydra.sweep.dir=sweep",
        "max_updates=20",
        *quiet_csv_run(tiny_csv, tmp_path),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    table, figure = gan.compare(tmp_path / "sweep")
    assert list(table.seed) == ["0", "1"] and list(table.status) == ["done", "done"]
    assert figure.axes


@pytest.mark.e2e
def test_export_writes_what_generate_draws_as_png_and_npz(api_run, tmp_path):
    for fmt in ("png", "npz"):
        result = run_script(
            "generate.py",
            api_run.folder,
            "export",
            "--count",
            12,
            "--format",
            fmt,
            "--out",
            tmp_path / fmt,
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr
    drawn = run_script("generate.py", api_run.folder, "--no-judge", "samples", "--rows", 3, "--cols", 4, cwd=tmp_path)
    assert drawn.returncode == 0, drawn.stderr
    images = torch.load(api_run.folder / "generated" / "samples.pt", weights_only=True)["images"]
    expected = (images * 255).round().to(torch.uint8).reshape(12, 28, 28).numpy()
    pngs = sorted((tmp_path / "png").glob("*.png"))
    assert len(pngs) == 12
    assert np.array_equal(np.stack([np.asarray(Image.open(p)) for p in pngs]), expected)
    packed = np.load(tmp_path / "npz" / "samples.npz")["arr_0"]
    assert packed.shape == (12, 28, 28, 1) and np.array_equal(packed[..., 0], expected)


@pytest.mark.e2e
@pytest.mark.slow
def test_the_notebook_runs_top_to_bottom(tmp_path):
    import nbclient
    import nbformat

    notebook = nbformat.read(ROOT / "notebooks" / "first_gan.ipynb", as_version=4)
    assert not any(cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")  # stored stripped
    parameters = notebook.cells[1]
    assert "QUICK = False" in parameters.source and "import gan" in parameters.source
    parameters.source = parameters.source.replace("QUICK = False", "QUICK = True")
    os.environ.setdefault("MNIST_MIRROR", str(SHARED_MNIST))
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    assert (tmp_path / "lightning_logs").is_dir()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 5


def test_a_bad_value_makes_no_run_folder(tmp_path):
    with pytest.raises(ConfigError, match="model.pack=0 is invalid"):
        gan.train("model.pack=0", folder=tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_an_export_never_overwrites_or_mixes_with_the_users_files(tmp_path):
    from gan.evaluation.export import export_images

    images = torch.rand(12, 784)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "000000.png").write_bytes(b"my picture")
    with pytest.raises(ConfigError, match="not an export of this project"):
        export_images(images, mine)
    assert [p.name for p in mine.iterdir()] == ["000000.png"] and (mine / "000000.png").read_bytes() == b"my picture"
    ours = tmp_path / "ours"
    export_images(images, ours)
    export_images(images[:3], ours)  # an earlier export of ours is replaced whole: no stale 000003..000011
    assert sorted(p.name for p in ours.glob("*.png")) == ["000000.png", "000001.png", "000002.png"]
