"""Measure a trained generator: modes, KL, confident share (high quality on 2D), precision, recall, density,
coverage, judge-FD, judge-IS, with real data beside it; and what the sampling-time cures change.

    python scripts/evaluate.py lightning_logs/model=improved,noise=randn/2026-11-27_18-50-00
    python scripts/evaluate.py path/to/checkpoints/epoch=0.ckpt --samples 10000 --seed 0
    python scripts/evaluate.py RUN --truncation 1.0 0.8 0.6 0.4 --drs    # one row per setting, and the trade-off

The generator and its noise are rebuilt from the config the checkpoint carries. With --truncation or --drs the
rows are drawn side by side into RUN/evaluation/tradeoff.png (or --out): precision against recall, and the
confident (or high-quality) share against modes and KL. DRS uses the run's own discriminator; the judge only scores.
"""

import argparse
import json
from pathlib import Path

from gan.cli import reported_errors


def main() -> None:
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
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON instead of a table")
    args = parser.parse_args()
    # the heavy imports after the arguments: --help stays fast
    from hydra.utils import instantiate

    from gan.build import judge_metrics, metric_samples
    from gan.cures import RejectionSampler
    from gan.loading import load_run, run_folder
    from gan.metrics import describe_judge, format_table, sample_images
    from gan.plots import save_tradeoff

    module, cfg, checkpoint = load_run(args.run)
    run_dir = run_folder(checkpoint)
    data = instantiate(cfg.data)
    data.setup()
    metrics = judge_metrics(cfg, data)
    seed = cfg.seed if args.seed is None else args.seed
    samples = args.samples or metric_samples(cfg, data)
    if samples < 2:
        raise ValueError(f"--samples {samples}: at least 2 are needed")
    settings = [(psi, False) for psi in (args.truncation or [None])]
    if args.drs:
        settings += [(psi, True) for psi, _ in settings]
    rows = {}
    for psi, drs in settings:
        sampler = None
        if drs:
            pack = getattr(module.discriminator, "pack", 1)
            sampler = RejectionSampler(module.discriminator, pack, args.drs_percentile, seed=seed)
        name = f"generated ({samples:,}, {checkpoint.name})"
        if args.truncation or args.drs:
            name = f"truncation {psi if psi is not None else 1.0:g}" + (
                f", DRS (kept {{}} of proposals, percentile {args.drs_percentile:g})" if drs else ""
            )
        values = metrics(*sample_images(module.sampler, module.noise, samples, seed, psi, sampler))
        if sampler is not None:
            values["drs_acceptance"] = sampler.acceptance
            name = name.format(f"{sampler.acceptance:.0%}")
        rows[name] = values
    real = data.train_set.images[:samples]
    rows[f"real {data.name} ({len(real):,} training samples)"] = metrics(real)
    if args.json:
        print(json.dumps({"dataset": data.name, "judge": metrics.about, "rows": rows}, indent=2))
        return
    print(f"{run_dir}\n{describe_judge(metrics.about)}\n\n{format_table(rows)}")
    shares = rows[next(iter(rows))].get("class_share")
    if shares:  # the generated samples' per-class histogram
        print("\nclass shares of the generated samples: " + ", ".join(f"{k} {v:.1%}" for k, v in shares.items()))
    if len(settings) > 1 or args.drs:
        figure = save_tradeoff(rows, (args.out or run_dir / "evaluation") / "tradeoff.png")
        print(f"\nwrote {figure}")


if __name__ == "__main__":
    with reported_errors():
        main()
