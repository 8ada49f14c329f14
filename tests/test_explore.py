import re

import pytest
import torch

from gan.evaluation.explore import arithmetic, interpolate
from gan.models.noise import Gaussian, Uniform
from gan.models.sampling import noise_vectors, render
from tests.conftest import run_script


class Spy(torch.nn.Module):
    """A generator that records what it is fed."""

    latent_dim = 5

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(5, 784)
        self.inputs = []

    def forward(self, seeds):
        self.inputs.append(seeds.clone())
        return torch.sigmoid(self.linear(seeds))


@pytest.mark.parametrize("noise", [Uniform(), Gaussian()])
def test_integer_seeds_name_reproducible_noise_vectors(noise):
    a = noise_vectors(noise, 5, [3, 8, 3])
    assert a.shape == (3, 5)
    assert torch.equal(a, noise_vectors(noise, 5, [3, 8, 3])) and torch.equal(a[0], a[2])
    assert not torch.equal(a[0], a[1])


@pytest.mark.parametrize("spherical", [False, True])
def test_an_interpolation_starts_and_ends_at_the_plain_samples_of_its_seeds(spherical):
    generator = Spy()
    z_a, z_b = noise_vectors(Gaussian(), 5, [3, 8])
    path = interpolate(z_a, z_b, steps=12, spherical=spherical)
    assert path.shape == (12, 5)
    assert torch.equal(path[0], z_a) and torch.equal(path[-1], z_b)
    strip, plain = render(generator, path), render(generator, torch.stack([z_a, z_b]))
    assert torch.equal(strip[0], plain[0]) and torch.equal(strip[-1], plain[1])


def test_slerp_keeps_the_norm_of_gaussian_seeds_between_the_ends():
    z_a, z_b = noise_vectors(Gaussian(), 100, [0, 1])
    linear, spherical = interpolate(z_a, z_b, 12), interpolate(z_a, z_b, 12, spherical=True)
    ends = torch.stack([z_a.norm(), z_b.norm()])
    assert spherical.norm(dim=1).min() >= ends.min() - 1e-4  # no dip through the middle
    assert linear.norm(dim=1)[6] < 0.8 * ends.min()  # a straight line dips


def test_arithmetic_feeds_exactly_a_plus_b_and_a_minus_b():
    generator = Spy()
    z_a, z_b = noise_vectors(Uniform(), 5, [3, 8])
    seeds, labels = arithmetic(z_a, z_b)
    generator(seeds)
    fed = generator.inputs[-1]
    assert labels == ["A", "B", "A+B", "A-B"]
    assert torch.equal(fed[2], z_a + z_b) and torch.equal(fed[3], z_a - z_b)
    assert torch.equal(fed[0], z_a) and torch.equal(fed[1], z_b)


def run(script, *args, cwd):
    result = run_script(script, *args, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def trained_runs(tmp_path_factory):
    """A short baseline run (latent 1, rand) and a short improved randn run (latent 100), on tiny data."""
    from tests.conftest import synthetic, write_csv

    folder = tmp_path_factory.mktemp("runs")
    csv = write_csv(folder / "tiny.csv", *synthetic(200))
    runs = {}
    for name, overrides in (("baseline", ["model=baseline"]), ("randn", ["model=improved", "noise=randn"])):
        out = run(
            "train.py",
            *overrides,
            "data=csv",
            f"data.train_csv={csv}",
            f"data.data_dir={folder}",
            "metrics.enabled=false",
            "trainer.enable_progress_bar=false",
            cwd=folder,
        )
        runs[name] = folder / re.search(r"run folder: (.+)", out).group(1).strip()
    return folder, runs


@pytest.mark.e2e
@pytest.mark.parametrize("name", ["baseline", "randn"])
def test_generate_writes_each_picture_and_its_tensors_from_any_run(trained_runs, name):
    folder, runs = trained_runs
    generate = "generate.py"
    run(generate, runs[name], "samples", cwd=folder)
    run(
        generate,
        runs[name],
        "--grayscale",
        "samples",
        "--seeds",
        "4",
        "5",
        "6",
        "7",
        "--rows",
        "2",
        "--cols",
        "2",
        cwd=folder,
    )
    run(generate, runs[name], "interpolate", "3", "8", cwd=folder)
    run(generate, runs[name], "arithmetic", "3", "8", cwd=folder)
    out = runs[name] / "generated"
    expected = {"samples": 6, "samples_4-5-6-7": 4, "interpolate_3_8": 12, "arithmetic_3_8": 4}
    for stem, count in expected.items():
        saved = torch.load(out / f"{stem}.pt", weights_only=False)
        assert saved["images"].shape == (count, 784) and (out / f"{stem}.png").stat().st_size > 0
    # the same seeds give the same images, whichever command draws them
    samples = torch.load(out / "samples.pt", weights_only=False)
    strip = torch.load(out / "interpolate_3_8.pt", weights_only=False)
    panel = torch.load(out / "arithmetic_3_8.pt", weights_only=False)
    assert torch.equal(strip["images"][0], panel["images"][0]) and torch.equal(strip["images"][-1], panel["images"][1])
    run(generate, runs[name], "samples", cwd=folder)
    assert torch.equal(torch.load(out / "samples.pt", weights_only=False)["images"], samples["images"])
    assert samples["noise"].shape == (6, 1 if name == "baseline" else 100)


@pytest.mark.e2e
def test_check_discriminator_prints_d_on_real_and_noise(trained_runs):
    folder, _ = trained_runs
    out = run(
        "check_discriminator.py",
        "data=csv",
        f"data.train_csv={folder / 'tiny.csv'}",
        f"data.data_dir={folder}",
        "model=improved",
        cwd=folder,
    )
    real = [float(v) for v in re.search(r"D\(real image\): (.+)", out).group(1).split()]
    noise = [float(v) for v in re.search(r"D\(torch.rand\): (.+)", out).group(1).split()]
    assert len(real) == len(noise) == 4
    assert min(real) > max(noise)  # even 200 images teach D that much
    assert re.search(r"loss plot: (.+\.png)", out)


@pytest.mark.e2e
def test_show_data_draws_images_and_an_untrained_generator(trained_runs):
    folder, _ = trained_runs
    out = run(
        "show_data.py",
        "data=csv",
        f"data.train_csv={folder / 'tiny.csv'}",
        f"data.data_dir={folder}",
        "indices=[0,17]",
        cwd=folder,
    )
    assert out.count("image_") == 2 and "untrained_generator.png" in out
