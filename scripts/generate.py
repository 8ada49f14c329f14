"""Generate from a trained run by integer seeds: sample grids, interpolations, seed arithmetic.

    python scripts/generate.py RUN samples                       # the walkthrough's 2x3 grid, seeds 0..5
    python scripts/generate.py RUN interpolate 3 8               # seed 3 -> seed 8 in 12 steps
    python scripts/generate.py RUN arithmetic 3 8                # A, B, A+B, A-B side by side
    python scripts/generate.py RUN --digit 7 samples             # a conditional run (model=conditional): 7s
    python scripts/generate.py RUN samples --per-digit           # a conditional run: a row per digit 0-9
    python scripts/generate.py RUN interpolate-digits 5 1 7      # a conditional run: seed 5 from a 1 to a 7

    python scripts/generate.py RUN export --count 10000 --format png --out DIR   # for torch-fidelity, clean-fid
    python scripts/generate.py RUN --truncation 0.7 --drs samples   # the sampling-time cures

RUN is a run folder (its checkpoints/last.ckpt) or a checkpoint file, loaded with ``gan.load``: each command is
one of ``gan.api.Run``'s methods. Each writes a PNG and a .pt file (seeds, noise vectors, images) into
RUN/generated/ (or --out). When the run's judge exists, each image is titled with the judge's digit and confidence.
"""

import argparse
from pathlib import Path

from gan.command_errors import reported_errors

# torch and the project's modules are imported after the arguments are read: --help stays fast


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", help="run folder or checkpoint")
    parser.add_argument("--out", type=Path, help="output folder (default: RUN/generated)")
    parser.add_argument("--grayscale", action="store_true", help="gray colormap instead of the walkthrough's Blues")
    parser.add_argument("--no-judge", action="store_true", help="do not title images with the judge's digit")
    parser.add_argument("--truncation", type=float, metavar="PSI", help="noise pulled towards its centre (1: none)")
    parser.add_argument("--drs", action="store_true", help="samples: keep those the run's D accepts (DRS)")
    parser.add_argument("--drs-percentile", type=float, default=80.0, help="DRS's gamma: this percentile of F(x)")
    parser.add_argument("--count", type=int, help="2D runs: points in the scatter (default: the panel's 2,500)")
    parser.add_argument("--digit", help="conditional runs: the class to draw, by index or name (default: in turn)")
    commands = parser.add_subparsers(dest="command", required=True)
    grid = commands.add_parser("samples", help="a grid of images, one per seed")
    grid.add_argument("--seeds", type=int, nargs="+", help="default: 0 .. rows*cols-1")
    grid.add_argument("--rows", type=int, default=2), grid.add_argument("--cols", type=int, default=3)
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
    digits = commands.add_parser("interpolate-digits", help="conditional runs: one seed, from digit A to digit B")
    digits.add_argument("seed", type=int)
    digits.add_argument("digit_a", help="a class index or name")
    digits.add_argument("digit_b", help="a class index or name")
    digits.add_argument("--steps", type=int, default=12)
    return parser, parser.parse_args(argv)


def picture(run, args, parser):
    """The ``Samples`` a command draws, and the name of its files."""
    from gan.evaluation.explore import class_index
    from gan.rules import MAX_GRID_SIDE

    a, b, psi = getattr(args, "seed_a", None), getattr(args, "seed_b", None), args.truncation
    if args.command == "interpolate":
        drawn = run.interpolate(a, b, args.steps, args.slerp, args.digit, psi)
        return drawn, f"interpolate_{a}_{b}{'_slerp' if args.slerp else ''}"
    if args.command == "arithmetic":
        return run.arithmetic(a, b, args.digit, psi), f"arithmetic_{a}_{b}"
    if args.command == "interpolate-digits":
        first, last = (class_index(d, run.class_names) for d in (args.digit_a, args.digit_b))
        name = f"interpolate_digits_{args.seed}_{first}_{last}"
        return run.interpolate_digits(args.seed, first, last, args.steps, psi), name
    rows, cols = (10, args.cols) if args.per_digit else (args.rows, args.cols)
    if not (1 <= rows <= MAX_GRID_SIDE and 1 <= cols <= MAX_GRID_SIDE):
        parser.error(f"--rows {rows} --cols {cols}: each must be in 1 .. {MAX_GRID_SIDE}")
    seeds = args.seeds or list(range(rows * cols))
    if len(seeds) != rows * cols:
        parser.error(f"{len(seeds)} seeds for a {rows}x{cols} grid")
    digits = [i // cols for i in range(len(seeds))] if args.per_digit else args.digit
    drawn = run.samples(seeds, cols, psi, digits, args.drs, args.drs_percentile)
    name = f"samples_{'-'.join(map(str, drawn.seeds))}" if args.seeds or args.drs else "samples"
    if args.digit is not None or args.per_digit:
        name += "_per_digit" if args.per_digit else f"_digit{int(drawn.digits[0])}"
    return drawn, name


def main(argv=None) -> None:
    parser, args = parse_args(argv)
    import gan
    from gan.evaluation.explore import find_judge, judge_titles

    if args.drs and args.command != "samples":
        parser.error("--drs draws samples only: the other commands follow given seeds")
    run = gan.load(args.run)
    out = args.out or run.folder / "generated"
    if run.module.draws_points and args.command != "samples":
        parser.error(f"{args.run} is a 2D run: it draws samples only (a scatter over the mode centres)")
    if args.command == "export":
        print(f"wrote {run.export(args.export_out, args.export_count, args.export_format, args.truncation)}")
        return
    if run.module.draws_points:  # a scatter of --count points over the mode centres
        seeds = None if args.count is None else range(args.count)
        drawn = run.samples(seeds, None, args.truncation, None, args.drs, args.drs_percentile)
        name = "samples" + ("" if args.truncation is None else f"_truncation{args.truncation:g}") + "_drs" * args.drs
        titles = f"{len(drawn):,} samples{' (DRS)' * args.drs}"
    else:
        drawn, name = picture(run, args, parser)
        judge = None if args.no_judge else find_judge(run.config)
        titles = judge_titles(judge, drawn.images, drawn.labels, run.class_names) if judge is not None else None
    about = {"command": args.command, "truncation": args.truncation, "drs": args.drs}
    png = drawn.save(out / f"{name}.png", "gray" if args.grayscale else "Blues", titles, **about)
    print(f"wrote {png} and {png.with_suffix('.pt')}")


if __name__ == "__main__":
    with reported_errors():
        main()
