"""What the classifier two-sample test reads at its budget on known pairs of MNIST's training images: two halves (its
floor), images rounded to 4 gray levels against real ones, uniform noise against real ones.

    python scripts/calibrate_two_sample.py                  # data/mnist_train.csv (any training run downloads it)
    python scripts/calibrate_two_sample.py --csv my_train.csv
"""

import argparse
import time
from pathlib import Path

from gan.command_errors import reported_errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--csv", type=Path, default=Path("data/mnist_train.csv"))
    args = parser.parse_args()
    from gan.data.csv_files import load_csv
    from gan.evaluation.two_sample import TwoSampleTest, calibration

    started = time.perf_counter()
    _, pixels = load_csv(args.csv, args.csv.parent / "cache")
    test = TwoSampleTest()
    print(f"{test}\n| pair | held-out accuracy |\n| --- | --- |")
    for pair, accuracy in calibration(pixels.float() / 255, test).items():
        print(f"| {pair} | {accuracy:.1%} |")
    print(f"\n{time.perf_counter() - started:.0f} s for the three")


if __name__ == "__main__":
    with reported_errors():
        main()
