"""Measure a trained generator: modes covered, KL, confident share, judge-FD, judge-IS, with real data beside it.

    python scripts/evaluate.py lightning_logs/model=improved,noise=randn/2026-11-27_18-50-00
    python scripts/evaluate.py path/to/checkpoints/epoch=0.ckpt --samples 10000 --seed 0

The generator and its noise are rebuilt from the config the checkpoint carries.
"""

import argparse
import json

from gan.cli import reported_errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", help="a run folder (uses checkpoints/last.ckpt) or a checkpoint inside one")
    parser.add_argument(
        "--samples", type=int, help="generated images to measure (default: the dataset's, 26,000 on Stacked MNIST)"
    )
    parser.add_argument("--seed", type=int, help="seed of the noise (default: the run's seed, as its epoch metrics)")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON instead of a table")
    args = parser.parse_args()
    # the heavy imports after the arguments: --help stays fast
    from hydra.utils import instantiate

    from gan.build import judge_metrics, metric_samples
    from gan.loading import load_run, run_folder
    from gan.metrics import describe_judge, format_table, sample_images

    module, cfg, checkpoint = load_run(args.run)
    run_dir = run_folder(checkpoint)
    data = instantiate(cfg.data)
    data.setup()
    metrics = judge_metrics(cfg, data)
    seed = cfg.seed if args.seed is None else args.seed
    samples = args.samples or metric_samples(cfg, data)
    real = data.train_set.images[:samples]
    rows = {
        f"generated ({samples:,}, {checkpoint.name})": metrics(
            *sample_images(module.sampler, module.noise, samples, seed)
        ),
        f"real {data.name} ({len(real):,} training images)": metrics(real),
    }
    if args.json:
        print(json.dumps({"dataset": data.name, "judge": metrics.about, "rows": rows}, indent=2))
        return
    print(f"{run_dir}\n{describe_judge(metrics.about)}\n\n{format_table(rows)}")
    shares = rows[next(iter(rows))].get("class_share")
    if shares:  # the generated samples' per-class histogram
        print("\nclass shares of the generated samples: " + ", ".join(f"{k} {v:.1%}" for k, v in shares.items()))


if __name__ == "__main__":
    with reported_errors():
        main()
