"""Train the judge: the MNIST classifier behind the mode-collapse metrics.

    python scripts/train_classifier.py                      # -> data/judge.pt, prints the test accuracy
    python scripts/train_classifier.py --epochs 5 --out data/judge.pt

Training a GAN with metrics on trains it once by itself when data/judge.pt is missing; this script does it
explicitly (or again). MNIST is downloaded first if needed (MNIST_MIRROR works here too).
"""

import argparse
from pathlib import Path

from gan.data import MnistDataModule
from gan.judge import save_judge, train_judge


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default="data", help="folder of mnist_train.csv and mnist_test.csv")
    parser.add_argument("--train-csv", help="training CSV (default: DATA_DIR/mnist_train.csv)")
    parser.add_argument("--test-csv", help="test CSV (default: DATA_DIR/mnist_test.csv)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="where to save the judge (default: DATA_DIR/judge.pt)")
    args = parser.parse_args()

    data_dir = Path(args.data_dir)
    train_csv = Path(args.train_csv or data_dir / "mnist_train.csv")
    test_csv = Path(args.test_csv or data_dir / "mnist_test.csv")
    MnistDataModule(data_dir=data_dir, train_csv=train_csv, test_csv=test_csv).prepare_data()
    judge, test_accuracy = train_judge(train_csv, test_csv, data_dir / "cache", epochs=args.epochs, seed=args.seed)
    out = Path(args.out or data_dir / "judge.pt")
    save_judge(judge, test_accuracy, train_csv, out)
    print(f"test accuracy {test_accuracy:.4f} on {test_csv}; saved {out}")


if __name__ == "__main__":
    main()
