"""Measure a trained generator: modes covered, KL, judge-FD, judge-IS, with real MNIST beside it.

    python scripts/evaluate.py lightning_logs/model=improved,noise=randn/2026-11-27_18-50-00
    python scripts/evaluate.py path/to/checkpoints/epoch=0.ckpt --samples 10000 --seed 0

The generator and its noise are rebuilt from the run's own .hydra/config.yaml.
"""

import argparse
import json

from gan.data import MnistDataset
from gan.metrics import format_table, sample_images
from gan.train import judge_metrics, load_run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", help="a run folder (uses checkpoints/last.ckpt) or a checkpoint inside one")
    parser.add_argument("--samples", type=int, default=10_000, help="generated images to measure")
    parser.add_argument("--seed", type=int, help="seed of the noise (default: the run's seed, as its epoch metrics)")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON instead of a table")
    args = parser.parse_args()

    module, cfg, checkpoint = load_run(args.run)
    run_dir = checkpoint.parent.parent
    metrics = judge_metrics(cfg)
    seed = cfg.seed if args.seed is None else args.seed

    real = MnistDataset(cfg.data.train_csv, f"{cfg.data.data_dir}/cache").images[: args.samples]
    rows = {
        f"generated ({args.samples:,}, {checkpoint.name})": metrics(
            *sample_images(module.generator, module.noise, args.samples, seed)
        ),
        f"real MNIST ({len(real):,} training images)": metrics(real),
    }
    print(json.dumps(rows, indent=2) if args.json else f"{run_dir}\n\n{format_table(rows)}")


if __name__ == "__main__":
    main()
