"""Generate from a trained run by integer seeds: sample grids, interpolations, seed arithmetic.

    python scripts/generate.py RUN samples                       # the walkthrough's 2x3 grid, seeds 0..5
    python scripts/generate.py RUN samples --seeds 7 8 9 --rows 1 --cols 3 --grayscale
    python scripts/generate.py RUN interpolate 3 8               # seed 3 -> seed 8 in 12 steps
    python scripts/generate.py RUN interpolate 3 8 --steps 20 --slerp
    python scripts/generate.py RUN arithmetic 3 8                # A, B, A+B, A-B side by side
    python scripts/generate.py RUN --digit 7 samples             # a conditional run (model=conditional): 7s
    python scripts/generate.py RUN samples --per-digit           # a conditional run: a row per digit 0-9
    python scripts/generate.py RUN interpolate-digits 5 1 7      # a conditional run: seed 5 from a 1 to a 7

RUN is a run folder (its checkpoints/last.ckpt) or a checkpoint file. The generator and its noise are rebuilt
from the run's own config, so any run works without further flags. Each command writes a PNG and a .pt file
(seeds, noise vectors, images) into RUN/generated/ (or --out). When the run's judge exists, each image is
titled with the judge's digit and confidence.
"""

import argparse
from pathlib import Path

import torch
from hydra.utils import instantiate

from gan.explore import (
    arithmetic,
    class_index,
    find_judge,
    interpolate,
    judge_titles,
    noise_vectors,
    one_hot,
    render,
)
from gan.files import atomic_path
from gan.plots import save_sample_grid
from gan.train import load_run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", help="run folder or checkpoint")
    parser.add_argument("--out", type=Path, help="output folder (default: RUN/generated)")
    parser.add_argument("--grayscale", action="store_true", help="gray colormap instead of the walkthrough's Blues")
    parser.add_argument("--no-judge", action="store_true", help="do not title images with the judge's digit")
    parser.add_argument(
        "--digit", help="conditional runs: the class to draw, by index or name (default: 0, 1, 2, ... in turn)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    samples = commands.add_parser("samples", help="a grid of images, one per seed")
    samples.add_argument("--seeds", type=int, nargs="+", help="default: 0 .. rows*cols-1")
    samples.add_argument("--rows", type=int, default=2)
    samples.add_argument("--cols", type=int, default=3)
    samples.add_argument("--per-digit", action="store_true", help="conditional runs: one row per digit 0-9")
    for name, text in (("interpolate", "seed A to seed B in steps"), ("arithmetic", "A, B, A+B, A-B")):
        command = commands.add_parser(name, help=text)
        command.add_argument("seed_a", type=int)
        command.add_argument("seed_b", type=int)
    commands.choices["interpolate"].add_argument("--steps", type=int, default=12, help="images, both ends included")
    commands.choices["interpolate"].add_argument("--slerp", action="store_true", help="spherical, for Gaussian noise")
    digits = commands.add_parser("interpolate-digits", help="conditional runs: one seed, from digit A to digit B")
    digits.add_argument("seed", type=int)
    digits.add_argument("digit_a", help="a class index or name")
    digits.add_argument("digit_b", help="a class index or name")
    digits.add_argument("--steps", type=int, default=12)
    args = parser.parse_args()

    module, cfg, checkpoint = load_run(args.run)
    latent_dim, classes = module.latent_dim, module.classes
    if classes is None and (
        args.digit is not None or args.command == "interpolate-digits" or getattr(args, "per_digit", False)
    ):
        parser.error(f"{args.run} is not a conditional run (model=conditional): it takes no digit")
    class_names = instantiate(cfg.data).class_names
    try:  # a class by index (7) or by name (Bag)
        for key in ("digit", "digit_a", "digit_b"):
            if getattr(args, key, None) is not None:
                setattr(args, key, class_index(getattr(args, key), class_names))
    except ValueError as error:
        parser.error(str(error))
    labels, digits = None, None
    if args.command == "samples":
        rows, cols = (10, args.cols) if args.per_digit else (args.rows, args.cols)
        seeds = args.seeds or list(range(rows * cols))
        if len(seeds) != rows * cols:
            parser.error(f"{len(seeds)} seeds for a {rows}x{cols} grid")
        z = noise_vectors(module.noise, latent_dim, seeds)
        name = f"samples_{'-'.join(map(str, seeds))}" if args.seeds else "samples"
        if classes is not None:
            wanted = (
                [i // cols for i in range(len(seeds))] if args.per_digit else [i % classes for i in range(len(seeds))]
            )
            wanted = [args.digit] * len(seeds) if args.digit is not None else wanted
            digits = one_hot(wanted, classes)
            name += "_per_digit" if args.per_digit else (f"_digit{args.digit}" if args.digit is not None else "")
    elif args.command == "interpolate-digits":
        seeds = [args.seed]
        z = noise_vectors(module.noise, latent_dim, seeds).repeat(args.steps, 1)
        digits = interpolate(one_hot(args.digit_a, classes), one_hot(args.digit_b, classes), args.steps)
        name, rows, cols = f"interpolate_digits_{args.seed}_{args.digit_a}_{args.digit_b}", 1, args.steps
    else:
        seeds = [args.seed_a, args.seed_b]
        z_a, z_b = noise_vectors(module.noise, latent_dim, seeds)
        if args.command == "interpolate":
            z = interpolate(z_a, z_b, args.steps, spherical=args.slerp)
            name = f"interpolate_{args.seed_a}_{args.seed_b}{'_slerp' if args.slerp else ''}"
        else:
            z, labels = arithmetic(z_a, z_b)
            name = f"arithmetic_{args.seed_a}_{args.seed_b}"
        rows, cols = 1, len(z)
        if classes is not None:
            digits = one_hot([args.digit or 0] * len(z), classes)
    images = render(module.sampler, z, digits)

    judge = None if args.no_judge else find_judge(cfg)
    titles = judge_titles(judge, images, labels, class_names) if judge is not None else labels
    out = args.out or checkpoint.parent.parent / "generated"
    png = save_sample_grid(
        images, rows, cols, out / f"{name}.png", cmap="gray" if args.grayscale else "Blues", titles=titles
    )
    with atomic_path(out / f"{name}.pt") as tmp:
        record = {"command": args.command, "seeds": seeds, "noise": z, "digits": digits, "images": images}
        torch.save(record | {"titles": titles}, tmp)
    print(f"wrote {png} and {out / f'{name}.pt'}")


if __name__ == "__main__":
    main()
