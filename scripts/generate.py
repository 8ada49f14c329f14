"""Generate from a trained run by integer seeds: sample grids, interpolations, seed arithmetic.

    python scripts/generate.py RUN samples                       # the walkthrough's 2x3 grid, seeds 0..5
    python scripts/generate.py RUN samples --seeds 7 8 9 --rows 1 --cols 3 --grayscale
    python scripts/generate.py RUN interpolate 3 8               # seed 3 -> seed 8 in 12 steps
    python scripts/generate.py RUN interpolate 3 8 --steps 20 --slerp
    python scripts/generate.py RUN arithmetic 3 8                # A, B, A+B, A-B side by side
    python scripts/generate.py RUN --digit 7 samples             # a conditional run (model=conditional): 7s
    python scripts/generate.py RUN samples --per-digit           # a conditional run: a row per digit 0-9
    python scripts/generate.py RUN interpolate-digits 5 1 7      # a conditional run: seed 5 from a 1 to a 7

    python scripts/generate.py RUN export --count 10000 --format png --out DIR   # for torch-fidelity, clean-fid
    python scripts/generate.py RUN --truncation 0.7 --drs samples   # the sampling-time cures (gan/models/cures.py)

RUN is a run folder (its checkpoints/last.ckpt) or a checkpoint file. The generator and its noise are rebuilt
from the run's own config, so any run works without further flags. Each command writes a PNG and a .pt file
(seeds, noise vectors, images) into RUN/generated/ (or --out). When the run's judge exists, each image is
titled with the judge's digit and confidence.
"""

import argparse
from pathlib import Path

from gan.cli import reported_errors
from gan.errors import ConfigError

# torch, Hydra and the project's modules are imported inside the functions that need them: --help stays fast


class Picture:
    """What a subcommand draws: noise vectors (and digits) laid out as a grid, with the name of its files."""

    def __init__(self, name, seeds, noise, rows, cols, digits=None, labels=None):
        self.name, self.seeds, self.noise, self.rows, self.cols = name, seeds, noise, rows, cols
        self.digits, self.labels = digits, labels


def samples(args, module) -> Picture:
    from gan.models.sampling import noise_vectors, one_hot
    from gan.training.config_checks import MAX_GRID_SIDE

    rows, cols = (10, args.cols) if args.per_digit else (args.rows, args.cols)
    if not (1 <= rows <= MAX_GRID_SIDE and 1 <= cols <= MAX_GRID_SIDE):
        raise UsageError(f"--rows {rows} --cols {cols}: each must be in 1 .. {MAX_GRID_SIDE}")
    seeds = args.seeds or list(range(rows * cols))
    if len(seeds) != rows * cols:
        raise UsageError(f"{len(seeds)} seeds for a {rows}x{cols} grid")
    name = f"samples_{'-'.join(map(str, seeds))}" if args.seeds else "samples"
    digits = None
    if module.classes is not None:
        if args.digit is not None:
            wanted = [args.digit] * len(seeds)
            name += f"_digit{args.digit}"
        elif args.per_digit:
            wanted = [i // cols for i in range(len(seeds))]
            name += "_per_digit"
        else:  # the digits in turn, as the training panel asks for them
            wanted = [i % module.classes for i in range(len(seeds))]
        digits = one_hot(wanted, module.classes)
    return Picture(name, seeds, noise_vectors(module.noise, module.latent_dim, seeds), rows, cols, digits)


def interpolate_seeds(args, module) -> Picture:
    from gan.evaluation.explore import interpolate
    from gan.models.sampling import noise_vectors
    from gan.rules import MAX_STEPS

    if not 2 <= args.steps <= MAX_STEPS:
        raise UsageError(f"--steps {args.steps}: must be in 2 .. {MAX_STEPS}")

    seeds = [args.seed_a, args.seed_b]
    z = interpolate(*noise_vectors(module.noise, module.latent_dim, seeds), args.steps, spherical=args.slerp)
    name = f"interpolate_{args.seed_a}_{args.seed_b}{'_slerp' if args.slerp else ''}"
    return Picture(name, seeds, z, 1, len(z), _one_digit(args, module, len(z)))


def seed_arithmetic(args, module) -> Picture:
    from gan.evaluation.explore import arithmetic
    from gan.models.sampling import noise_vectors

    seeds = [args.seed_a, args.seed_b]
    z, labels = arithmetic(*noise_vectors(module.noise, module.latent_dim, seeds))
    name = f"arithmetic_{args.seed_a}_{args.seed_b}"
    return Picture(name, seeds, z, 1, len(z), _one_digit(args, module, len(z)), labels)


def interpolate_digits(args, module) -> Picture:
    from gan.evaluation.explore import interpolate
    from gan.models.sampling import noise_vectors, one_hot

    z = noise_vectors(module.noise, module.latent_dim, [args.seed]).repeat(args.steps, 1)
    digits = interpolate(one_hot(args.digit_a, module.classes), one_hot(args.digit_b, module.classes), args.steps)
    name = f"interpolate_digits_{args.seed}_{args.digit_a}_{args.digit_b}"
    return Picture(name, [args.seed], z, 1, args.steps, digits)


def _one_digit(args, module, count):
    """A conditional run draws every image of a seed path as one digit: --digit, else 0."""
    from gan.models.sampling import one_hot

    return None if module.classes is None else one_hot([args.digit or 0] * count, module.classes)


def _drs(args, module):
    from gan.models.cures import RejectionSampler

    if module.classes is not None:
        raise UsageError("--drs needs an unconditional run: a conditional D judges a sample with its digit")
    return RejectionSampler(module.discriminator, percentile=args.drs_percentile)


def accepted_seeds(args, module) -> list[int]:
    """The first seeds (0, 1, 2, ...) whose images DRS keeps, as many as the grid holds."""
    import torch

    from gan.models.cures import truncate
    from gan.models.sampling import noise_vectors, render

    sampler, wanted = _drs(args, module), args.rows * args.cols
    pack = sampler.pack

    def images(seeds) -> torch.Tensor:
        z = noise_vectors(module.noise, module.latent_dim, seeds)
        z = z if args.truncation is None else truncate(z, args.truncation, module.noise.centre)
        return render(module.sampler, z)

    start = 1_000_000  # the burn-in's seeds, apart from the ones shown
    sampler.warm_up(lambda n: images(range(start, start + n)))
    kept, first = [], 0
    while len(kept) < wanted:
        if first > 100 * wanted:
            raise UsageError(f"DRS kept {len(kept)} of the first {first} seeds: lower --drs-percentile")
        block = list(range(first, first + 64 * pack))
        mask = sampler.accept(images(block)).tolist()
        kept += [seed for seed, keep in zip(block, mask, strict=True) if keep]
        first += len(block)
    return kept[:wanted]


MAX_EXPORT = 100_000


def export(args, module, checkpoint) -> Path:
    """Seeds 0 .. --count - 1, drawn as ``samples`` draws them (one seed at a time), written for torch-fidelity or
    clean-fid: a folder of PNG files or one .npz (``gan.evaluation.export``)."""
    import torch

    from gan.evaluation.export import export_images
    from gan.models.cures import truncate
    from gan.models.sampling import noise_vectors
    from gan.training.saved_runs import run_folder

    if not 1 <= args.export_count <= MAX_EXPORT:
        raise UsageError(f"--count {args.export_count}: must be in 1 .. {MAX_EXPORT:,}")
    seeds = range(args.export_count)
    z = noise_vectors(module.noise, module.latent_dim, seeds)
    if args.truncation is not None:
        z = truncate(z, args.truncation, module.noise.centre)
    labels = torch.arange(len(z)) % (module.classes or 1)  # a conditional run: the digits in turn
    images = module.sample(z, labels)
    out = args.export_out or run_folder(checkpoint) / f"export-{args.export_format}"
    return export_images(images, out, args.export_format)


def scatter(args, module, cfg, checkpoint):
    """A 2D run's samples: ``--count`` points from seeds 0, 1, 2, ... (or kept by DRS) over the mode centres."""
    import torch
    from hydra.utils import instantiate

    from gan.evaluation.plots import save_scatter
    from gan.file_safety import atomic_path
    from gan.models.cures import truncate
    from gan.models.sampling import noise_vectors, render
    from gan.training.saved_runs import run_folder

    random = torch.Generator().manual_seed(0)

    def points(n=None) -> torch.Tensor:
        z = noise_vectors(module.noise, module.latent_dim, range(args.count)) if n is None else None
        z = module.noise(n, module.latent_dim, generator=random) if z is None else z
        z = z if args.truncation is None else truncate(z, args.truncation, module.noise.centre)
        return render(module.sampler, z, batch_size=len(z))

    drawn = _drs(args, module).draw(points, args.count) if args.drs else points()
    name = (
        "samples"
        + (f"_truncation{args.truncation:g}" if args.truncation is not None else "")
        + ("_drs" if args.drs else "")
    )
    out = args.out or run_folder(checkpoint) / "generated"
    means = instantiate(cfg.data).mixture.means
    png = save_scatter(drawn, means, out / f"{name}.png", f"{len(drawn):,} samples{' (DRS)' if args.drs else ''}")
    with atomic_path(out / f"{name}.pt") as tmp:
        torch.save({"command": "samples", "points": drawn, "truncation": args.truncation, "drs": args.drs}, tmp)
    return png


COMMANDS = {
    "samples": samples,
    "interpolate": interpolate_seeds,
    "arithmetic": seed_arithmetic,
    "interpolate-digits": interpolate_digits,
}
CONDITIONAL_ONLY = "interpolate-digits"


class UsageError(ConfigError):
    """A request this run cannot draw; reported through argparse's usage message."""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", help="run folder or checkpoint")
    parser.add_argument("--out", type=Path, help="output folder (default: RUN/generated)")
    parser.add_argument("--grayscale", action="store_true", help="gray colormap instead of the walkthrough's Blues")
    parser.add_argument("--no-judge", action="store_true", help="do not title images with the judge's digit")
    parser.add_argument("--truncation", type=float, metavar="PSI", help="noise pulled towards its centre (1: none)")
    parser.add_argument("--drs", action="store_true", help="samples: keep those the run's D accepts (DRS)")
    parser.add_argument("--drs-percentile", type=float, default=80.0, help="DRS's gamma: this percentile of F(x)")
    parser.add_argument("--count", type=int, default=2500, help="2D runs: points in the scatter (default 2,500)")
    parser.add_argument(
        "--digit", help="conditional runs: the class to draw, by index or name (default: 0, 1, 2, ... in turn)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    grid = commands.add_parser("samples", help="a grid of images, one per seed")
    grid.add_argument("--seeds", type=int, nargs="+", help="default: 0 .. rows*cols-1")
    grid.add_argument("--rows", type=int, default=2)
    grid.add_argument("--cols", type=int, default=3)
    grid.add_argument("--per-digit", action="store_true", help="conditional runs: one row per digit 0-9")
    for name, text in (("interpolate", "seed A to seed B in steps"), ("arithmetic", "A, B, A+B, A-B")):
        command = commands.add_parser(name, help=text)
        command.add_argument("seed_a", type=int)
        command.add_argument("seed_b", type=int)
    commands.choices["interpolate"].add_argument("--steps", type=int, default=12, help="images, both ends included")
    commands.choices["interpolate"].add_argument("--slerp", action="store_true", help="spherical, for Gaussian noise")
    export = commands.add_parser("export", help="seeds 0 .. count-1 as PNG files or one .npz, for metric tools")
    export.add_argument("--count", dest="export_count", type=int, default=10_000, help="samples (default 10,000)")
    export.add_argument("--format", dest="export_format", choices=("png", "npz"), default="png")
    export.add_argument("--out", dest="export_out", type=Path, help="folder (default: RUN/export-<format>)")
    digits = commands.add_parser(CONDITIONAL_ONLY, help="conditional runs: one seed, from digit A to digit B")
    digits.add_argument("seed", type=int)
    digits.add_argument("digit_a", help="a class index or name")
    digits.add_argument("digit_b", help="a class index or name")
    digits.add_argument("--steps", type=int, default=12)
    return parser, parser.parse_args(argv)


def main(argv=None) -> None:
    parser, args = parse_args(argv)
    import torch
    from hydra.utils import instantiate

    from gan.evaluation.explore import class_index, find_judge, judge_titles
    from gan.evaluation.plots import save_sample_grid
    from gan.file_safety import atomic_path
    from gan.models.cures import truncate
    from gan.models.sampling import render
    from gan.training.saved_runs import load_run, run_folder

    module, cfg, checkpoint = load_run(args.run)
    if args.drs and args.command != "samples":
        parser.error("--drs draws samples only: the other commands follow given seeds")
    if module.draws_points:
        if args.command != "samples":
            parser.error(f"{args.run} is a 2D run: it draws samples only (a scatter over the mode centres)")
        print(f"wrote {scatter(args, module, cfg, checkpoint)}")
        return
    if args.command == "export":
        print(f"wrote {export(args, module, checkpoint)}")
        return
    if args.drs:
        args.seeds = accepted_seeds(args, module)
    asks_digit = args.digit is not None or args.command == CONDITIONAL_ONLY or getattr(args, "per_digit", False)
    if module.classes is None and asks_digit:
        parser.error(f"{args.run} is not a conditional run (model=conditional): it takes no digit")
    class_names = instantiate(cfg.data).class_names
    try:
        for key in ("digit", "digit_a", "digit_b"):  # a class by index (7) or by name (Bag)
            if getattr(args, key, None) is not None:
                setattr(args, key, class_index(getattr(args, key), class_names))
        picture = COMMANDS[args.command](args, module)
    except ValueError as error:
        parser.error(str(error))
    if args.truncation is not None:
        picture.noise = truncate(picture.noise, args.truncation, module.noise.centre)
    images = render(module.sampler, picture.noise, picture.digits)  # the training panel's own path

    judge = None if args.no_judge else find_judge(cfg)
    titles = judge_titles(judge, images, picture.labels, class_names) if judge is not None else picture.labels
    out = args.out or run_folder(checkpoint) / "generated"
    cmap = "gray" if args.grayscale else "Blues"
    png = save_sample_grid(images, picture.rows, picture.cols, out / f"{picture.name}.png", cmap=cmap, titles=titles)
    with atomic_path(out / f"{picture.name}.pt") as tmp:
        record = {"command": args.command, "seeds": picture.seeds, "noise": picture.noise, "digits": picture.digits}
        torch.save(record | {"images": images, "titles": titles}, tmp)
    print(f"wrote {png} and {out / f'{picture.name}.pt'}")


if __name__ == "__main__":
    with reported_errors():
        main()
