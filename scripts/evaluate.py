"""Measure a trained generator: modes, KL, confident share (high quality on 2D), precision, recall, density,
coverage, judge-FD, judge-IS, with real data beside it; and what the sampling-time cures change.

    python scripts/evaluate.py lightning_logs/model=improved,noise=randn/2026-11-27_18-50-00
    python scripts/evaluate.py path/to/checkpoints/epoch=0.ckpt --samples 10000 --seed 0
    python scripts/evaluate.py RUN --truncation 1.0 0.8 0.6 0.4 --drs    # one row per setting, and the trade-off
    python scripts/evaluate.py RUN --two-sample                           # and can a fresh classifier tell them apart?

The generator and its noise are rebuilt from the config the checkpoint carries. With --truncation or --drs the
rows are drawn side by side into RUN/evaluation/tradeoff.png (or --out): precision against recall, and the
confident (or high-quality) share against modes and KL. DRS uses the run's own discriminator; the judge only scores.
"""

import argparse
import json
from pathlib import Path

from gan.command_errors import reported_errors
from gan.errors import ConfigError


def main() -> None:
    # over 50 lines: the script reads top to bottom, its arguments, the measurements, then what it prints
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", help="a run folder (uses checkpoints/last.ckpt) or a checkpoint inside one")
    parser.add_argument(
        "--samples", type=int, help="generated samples to measure (default: the dataset's, 26,000 on Stacked MNIST)"
    )
    parser.add_argument("--seed", type=int, help="seed of the noise (default: the run's seed, as its epoch metrics)")
    parser.add_argument(
        "--truncation", type=float, nargs="+", metavar="PSI", help="noise pulled towards its centre by PSI (1: none)"
    )
    parser.add_argument("--drs", action="store_true", help="also each setting with discriminator rejection sampling")
    parser.add_argument("--drs-percentile", type=float, default=80.0, help="DRS's gamma: this percentile of F(x)")
    parser.add_argument("--out", type=Path, help="where the trade-off figure goes (default: RUN/evaluation)")
    parser.add_argument("--two-sample", action="store_true",
                        help="also the classifier two-sample test and its floor (trains a small classifier, ~30 s)")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON instead of a table")
    args = parser.parse_args()
    import gan  # after the arguments: --help stays fast
    from gan.evaluation.metrics import describe_judge, format_table
    from gan.evaluation.plots import save_tradeoff
    from gan.rules import MAX_METRIC_SAMPLES, MAX_SETTINGS

    if args.samples is not None and not 2 <= args.samples <= MAX_METRIC_SAMPLES:
        raise ConfigError(f"--samples {args.samples}: must be in 2 .. {MAX_METRIC_SAMPLES:,}")
    if args.truncation and len(args.truncation) > MAX_SETTINGS:
        raise ConfigError(f"--truncation: {len(args.truncation)} values; at most {MAX_SETTINGS} in one command")
    run = gan.load(args.run)
    seed = run.config.seed if args.seed is None else args.seed
    settings = [(psi, False) for psi in (args.truncation or [None])]
    if args.drs:
        settings += [(psi, True) for psi, _ in settings]
    rows = {}
    for psi, drs in settings:
        values = run.metrics(args.samples, seed, psi, drs, args.drs_percentile)
        name = f"generated ({run.checkpoint.name})"
        if args.truncation or args.drs:
            name = f"truncation {psi if psi is not None else 1.0:g}"
        if drs:
            name += f", DRS (kept {values['drs_acceptance']:.0%} of proposals, percentile {args.drs_percentile:g})"
        rows[name] = values
    rows[f"real {run.config.data.name} (training samples)"] = run.real_metrics(args.samples)
    two_sample = run.two_sample(args.samples, seed) if args.two_sample else None
    if args.json:
        print(json.dumps({"dataset": run.config.data.name, "judge": run.scorer.about, "rows": rows,
                          "two_sample": two_sample}, indent=2))  # fmt: skip
        return
    print(f"{run.folder}\n{describe_judge(run.scorer.about)}\n\n{format_table(rows)}")
    if two_sample:
        print(f"\ntwo-sample test: a fresh classifier tells the generated images from real ones "
              f"{two_sample['two_sample']:.1%} of the time on held-out images; on two halves of the real images "
              f"{two_sample['two_sample_floor']:.1%} (the floor; 50%: no difference at all)")  # fmt: skip
    shares = rows[next(iter(rows))].get("class_share")
    if shares:  # the generated samples' per-class histogram
        print("\nclass shares of the generated samples: " + ", ".join(f"{k} {v:.1%}" for k, v in shares.items()))
    blends = rows[next(iter(rows))].get("blends")
    if blends:  # what the samples the judge cannot read are: mostly in-between shapes of two classes
        print("not confident, most often between: " + ", ".join(f"{k} {v:.1%}" for k, v in blends.items())
              + " (of all samples)")  # fmt: skip
    if len(settings) > 1 or args.drs:
        figure = save_tradeoff(rows, (args.out or run.folder / "evaluation") / "tradeoff.png")
        print(f"\nwrote {figure}")


if __name__ == "__main__":
    with reported_errors():
        main()
