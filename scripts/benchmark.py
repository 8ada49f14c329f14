"""Speed, side by side in one process: the walkthrough's own loop against this project.

    python scripts/benchmark.py                    # all three models, 1 thread, 3 repeats
    python scripts/benchmark.py --model improved-randn --samples 5000 --threads 2 --repeats 5
    python scripts/benchmark.py --model dcgan      # the DCGAN update against a plain loop, batch 64, 32-true and bf16
    python scripts/benchmark.py --model dcgan --batched-samples 20000 --repeats 2   # the same, shorter
    python scripts/benchmark.py --model baseline --profile   # where the faithful mode's time goes: one chunk
    python scripts/benchmark.py --samples 60000 --skip-walkthrough --repeats 2   # a full epoch: (b) against (p)
    python scripts/benchmark.py --objectives --batched-samples 6400 --repeats 3     # (g): a penalised update's cost
    python scripts/benchmark.py --experiment mnist --batched-samples 19200 --threads 2   # (h)

Rows (images/s, median of the repeats; repeats alternate between the rows):
  (a) the walkthrough's loop, transcribed literally (gan/models/walkthrough.py): pandas iloc dataset, batch 1
  (p) the strongest plain PyTorch loop of the same arithmetic: the same update over an in-memory tensor,
      batch 1, targets made once, no logging; its final weights must equal (b)'s, bit for bit
  (b) this project's faithful mode: batch 1 through Trainer.fit, fixed costs included (Trainer set-up,
      progress bar, TensorBoard logging, the epoch-end panel and checkpoints, the run's record)
      ((a), (p) and (b): the first --samples training images, 10,000 by default; 60,000 is a full epoch)
  (c) a plain PyTorch loop of the same three-step update over in-memory tensors, the same networks: batch 256
      for the MLPs, 64 for the DCGAN (model=dcgan, which has no (a), (p) or (b))
  (d) this project at that batch size through Trainer.fit ((c) and (d): all 60,000 training images, one epoch,
      or --batched-samples of them)
  (f) (d) with trainer.precision=bf16-mixed: autocast to bfloat16 on the CPU, the losses in float32
  (e) loading the 60,000 training images: the first CSV parse against the cached tensors
  (g) with --objectives, instead: the DCGAN without BatchNorm (batch 64) trained through Trainer.fit under each
      objective, against the walkthrough's three BCE steps: the loss on logits alone, RpGAN, RpGAN + R1 + R2 (a
      double backward per D step), and R1 + R2 applied lazily (penalty.every=4)
  (h) with --experiment NAME, instead: that preset through Trainer.fit at its own batch size, in float32 and with
      trainer.precision=bf16-mixed (autocast: the layers in bfloat16 on the CPU, the penalties' input gradients and
      double backward included; D's probability and the losses in float32)
"time ratio" is time per image against the row's reference ((b) against (p) and against (a), (d)/(c),
(f)/(d), cached/parse): below 1 is faster.
Needs data/mnist_train.csv (any training run downloads it; MNIST_MIRROR works).
"""

import argparse
import logging
import statistics
import tempfile
import time
from pathlib import Path

import torch

from gan.config import compose
from gan.data.csv_files import load_csv, read_csv
from gan.data.mnist import MnistDataModule, MnistDataset
from gan.file_safety import load_tensors
from gan.models import walkthrough
from gan.training.fit import train
from gan.training.from_config import build_module

MODELS = {  # name -> (project overrides, walkthrough arguments; None: a model the walkthrough does not have)
    "baseline": (["model=baseline"], dict(improved=False, seed_size=1, generate_random=torch.rand)),
    "improved-randn": (
        ["model=improved", "noise=randn"],
        dict(improved=True, seed_size=100, generate_random=torch.randn),
    ),
    "dcgan": (["model=dcgan"], None),
}
BATCH = {"baseline": 256, "improved-randn": 256, "dcgan": 64}  # the batched rows (c) and (d)
OBJECTIVES = {  # row (g) -> overrides of the DCGAN without BatchNorm (R3GAN's networks have none)
    "three BCE steps (loss=bce)": ["loss=bce"],
    "loss=nonsaturating": ["loss=nonsaturating"],
    "loss=rpgan": ["loss=rpgan"],
    "loss=rpgan penalty=r1_r2": ["loss=rpgan", "penalty=r1_r2"],
    "loss=rpgan penalty=r1_r2 penalty.every=4": ["loss=rpgan", "penalty=r1_r2", "penalty.every=4"],
}


def time_walkthrough(csv: Path, args: dict) -> float:
    dataset = walkthrough.MnistDataset(csv)  # its pandas read is set-up, not the loop being timed
    torch.manual_seed(0)
    started = time.perf_counter()
    walkthrough.run(dataset, **args)
    return time.perf_counter() - started


def time_plain_faithful(images: torch.Tensor, overrides: list[str], weights: dict) -> float:
    """The faithful update as the strongest plain loop: unbatched images [784] from an in-memory tensor, the
    same networks, optimizers, noise and order of random draws as the project, nothing else. Its final
    weights go into ``weights`` so they can be compared with the project's."""
    cfg = compose(*overrides, "metrics.enabled=false")
    torch.manual_seed(cfg.seed)
    module = build_module(cfg)
    D, G, loss, noise, latent = module.discriminator, module.generator, module.loss, module.noise, module.latent_dim
    opt_d, opt_g = module.optimizer(D.parameters()), module.optimizer(G.parameters())
    d_parameters = list(D.parameters())
    one, zero = torch.ones(1), torch.zeros(1)

    def step(optimizer, value):
        optimizer.zero_grad()
        value.backward()
        optimizer.step()

    started = time.perf_counter()
    for real in images.unbind():
        step(opt_d, loss(D(real), one))
        with torch.no_grad():
            fake = G(noise(latent))
        step(opt_d, loss(D(fake), zero))
        for parameter in d_parameters:
            parameter.requires_grad_(False)
        step(opt_g, loss(D(G(noise(latent))), one))
        for parameter in d_parameters:
            parameter.requires_grad_(True)
    seconds = time.perf_counter() - started
    weights.update({f"discriminator.{k}": v for k, v in D.state_dict().items()})
    weights.update({f"generator.{k}": v for k, v in G.state_dict().items()})
    return seconds


def time_project(csv: Path, overrides: list[str], batch_size: int, workdir: Path, weights=None, precision="32-true"):
    cfg = compose(
        f"trainer.precision={precision}",
        *overrides,
        "data=csv",
        f"data.train_csv={csv}",
        f"data.data_dir={workdir}",
        f"data.batch_size={batch_size}",
        "metrics.enabled=false",
        "trainer.max_epochs=1",
        "trainer.enable_model_summary=false",
        f"threads={torch.get_num_threads()}",
    )
    run_dir = Path(tempfile.mkdtemp(dir=workdir))
    started = time.perf_counter()  # fixed costs included: set-up, fit, and writing the run's record
    train(cfg, run_dir)
    seconds = time.perf_counter() - started
    if weights is not None:
        state = load_tensors(run_dir / "checkpoints" / "last.ckpt")["state_dict"]
        weights.update({k: v for k, v in state.items() if k.startswith(("generator.", "discriminator."))})
    return seconds


def time_plain_batched(images: torch.Tensor, overrides: list[str], batch_size: int) -> float:
    """The three-step update written as a plain loop: the floor the project's batched mode is held to."""
    cfg = compose(*overrides, "metrics.enabled=false")
    module = build_module(cfg)
    started = time.perf_counter()
    if cfg.data.shuffle:  # the same epoch as the project's (model=dcgan shuffles): one gather, then slices
        images = images[torch.randperm(len(images))]
    walkthrough.plain_batched_epoch(module, images, batch_size)
    return time.perf_counter() - started


def time_rows(csv: Path, rows: dict, label: str, batch_size: int, images: int, workdir: Path, repeats: int):
    """Rows of overrides, each trained through Trainer.fit, repeats alternating; time ratios against the first."""
    seconds = {row: [] for row in rows}
    for _ in range(repeats):
        for row, overrides in rows.items():
            seconds[row].append(time_project(csv, overrides, batch_size, workdir))
    median = {row: statistics.median(values) for row, values in seconds.items()}
    reference = next(iter(rows))
    return [
        f"| {label} | {row} | {images / median[row]:,.0f} | "
        f"{'reference' if row == reference else f'{median[row] / median[reference]:.2f}x'} |"
        for row in rows
    ]


def time_objectives(csv: Path, images: int, workdir: Path, repeats: int) -> list[str]:
    """Rows (g): one update of each objective through Trainer.fit, against three BCE steps."""
    networks = ["model=dcgan", "model.discriminator.batch_norm=false", "model.generator.batch_norm=false"]
    rows = {f"(g) {row}": [*networks, *overrides] for row, overrides in OBJECTIVES.items()}
    return time_rows(csv, rows, "dcgan, no BatchNorm", 64, images, workdir, repeats)


def time_precisions(csv: Path, experiment: str, images: int, workdir: Path, repeats: int) -> list[str]:
    """Rows (h): a preset at its own batch size in float32 and under bf16 autocast."""
    batch_size = compose(f"experiment={experiment}").data.batch_size
    rows = {
        f"(h) experiment={experiment}, {precision}": [f"experiment={experiment}", f"trainer.precision={precision}"]
        for precision in ("32-true", "bf16-mixed")
    }
    return time_rows(csv, rows, f"{experiment}, batch {batch_size}", batch_size, images, workdir, repeats)


def profile_chunk(source: Path, overrides: list[str], workdir: Path, images: int = 2048) -> None:
    """cProfile of the faithful mode over one chunk (``images`` updates at batch size 1), Trainer.fit and the
    run's record included: the functions that take the most time of their own."""
    import cProfile
    import pstats

    csv = workdir / "chunk.csv"
    with open(source) as f, open(csv, "w") as out:
        out.writelines(line for _, line in zip(range(images), f, strict=False))
    time_project(csv, overrides, 1, workdir)  # once to warm the caches
    profiler = cProfile.Profile()
    profiler.enable()
    time_project(csv, overrides, 1, workdir)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


def main() -> None:
    # over 50 lines: the arguments, then each row of the table in the docstring's order, read top to bottom
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=[*MODELS, "all"], default="all")
    parser.add_argument("--samples", type=int, default=10_000, help="training images per timed run")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 for comparability)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--profile", action="store_true", help="profile one faithful chunk of --model, then stop")
    parser.add_argument("--skip-walkthrough", action="store_true", help="leave out row (a): full epochs run faster")
    parser.add_argument("--batched-samples", type=int, default=60_000, help="training images for (c), (d), (f)")
    parser.add_argument("--objectives", action="store_true", help="rows (g) only: the cost of each objective's update")
    parser.add_argument("--experiment", help="rows (h) only: this preset (conf/experiment/) in 32-true and bf16-mixed")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)  # keep the table readable

    source = args.data_dir / "mnist_train.csv"
    MnistDataModule(data_dir=args.data_dir).prepare_data()
    workdir = Path(tempfile.mkdtemp(prefix="gan-benchmark-"))
    csv = workdir / "train_subset.csv"
    with open(source) as f, open(csv, "w") as out:
        out.writelines(line for _, line in zip(range(args.samples), f, strict=False))
    all_images = MnistDataset(source, workdir / "cache").images
    if args.profile:
        for name in MODELS if args.model == "all" else [args.model]:
            print(f"\n{name}: one chunk of 2,048 images at batch size 1")
            profile_chunk(source, MODELS[name][0], workdir)
        return

    subset = all_images[: args.samples]
    batched_csv = source
    if args.batched_samples < len(all_images):
        batched_csv = workdir / "batched_subset.csv"
        with open(source) as f, open(batched_csv, "w") as out:
            out.writelines(line for _, line in zip(range(args.batched_samples), f, strict=False))
        all_images = all_images[: args.batched_samples]
    table = ["| model | row | images/s | time ratio |", "| --- | --- | --- | --- |"]
    if args.objectives or args.experiment:
        if args.objectives:
            table += time_objectives(batched_csv, len(all_images), workdir, args.repeats)
        if args.experiment:
            table += time_precisions(batched_csv, args.experiment, len(all_images), workdir, args.repeats)
        print(f"\n{len(all_images):,} images; {args.threads} thread(s); median of {args.repeats} repeats\n")
        print("\n".join(table))
        return
    identical = []
    for name in MODELS if args.model == "all" else [args.model]:
        overrides, reference = MODELS[name]
        batch = BATCH[name]
        plain_weights, project_weights = {}, {}
        rows = {}  # row -> (measure, reference rows, images)
        if reference is not None:
            walkthrough_row, plain_row = "(a) walkthrough loop, batch 1", "(p) plain in-memory loop, batch 1"
            if not args.skip_walkthrough:
                rows[walkthrough_row] = (lambda r=reference: time_walkthrough(csv, r), [], args.samples)
            rows[plain_row] = (lambda o=overrides, w=plain_weights: time_plain_faithful(subset, o, w), [], args.samples)
            rows["(b) project faithful, batch 1"] = (
                lambda o=overrides, w=project_weights: time_project(csv, o, 1, workdir, w),
                [plain_row] + ([] if args.skip_walkthrough else [walkthrough_row]),
                args.samples,
            )
        plain_batched = f"(c) plain loop, batch {batch}"
        rows[plain_batched] = (lambda o=overrides, b=batch: time_plain_batched(all_images, o, b), [], len(all_images))
        project_batched = f"(d) project, batch {batch}"
        rows[project_batched] = (
            lambda o=overrides, b=batch: time_project(batched_csv, o, b, workdir),
            [plain_batched],
            len(all_images),
        )
        rows[f"(f) project, batch {batch}, bf16-mixed"] = (
            lambda o=overrides, b=batch: time_project(batched_csv, o, b, workdir, precision="bf16-mixed"),
            [project_batched],
            len(all_images),
        )
        seconds = {row: [] for row in rows}
        for _ in range(args.repeats):
            for row, (measure, _, _) in rows.items():
                seconds[row].append(measure())
        median = {row: statistics.median(values) for row, values in seconds.items()}
        for row, (_, references, count) in rows.items():
            ratio = " / ".join(f"{median[row] / median[r]:.2f}x {r[:3]}" for r in references) or "reference"
            table.append(f"| {name} | {row} | {count / median[row]:,.0f} | {ratio} |")
        if plain_weights:
            same = plain_weights.keys() == project_weights.keys() and all(
                torch.equal(plain_weights[k], project_weights[k]) for k in plain_weights
            )
            identical.append(f"{name}: (p) and (b) end with {'identical' if same else 'DIFFERENT'} weights")

    parse, cached = [], []
    cache = workdir / "load-cache"
    for _ in range(args.repeats):
        started = time.perf_counter()
        read_csv(source)
        parse.append(time.perf_counter() - started)
        load_csv(source, cache)  # writes the cache
        started = time.perf_counter()
        load_csv(source, cache)
        cached.append(time.perf_counter() - started)
    parse_s, cached_s = statistics.median(parse), statistics.median(cached)
    table.append(
        f"| data | (e) first CSV parse, 60,000 images | {60_000 / parse_s:,.0f} ({parse_s:.2f} s) | reference |"
    )
    table.append(
        f"| data | (e) cached load, 60,000 images | {60_000 / cached_s:,.0f} ({cached_s:.3f} s) "
        f"| {cached_s / parse_s:.3f}x |"
    )
    print(
        f"\n{args.samples:,} images for (a), (p) and (b), {len(all_images):,} for (c), (d) and (f); "
        f"{args.threads} thread(s); "
        f"median of {args.repeats} alternating repeats\n"
    )
    print("\n".join(table))
    print("\n".join(["", *identical]))


if __name__ == "__main__":
    main()
