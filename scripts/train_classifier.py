"""Train the judge: the classifier of a dataset behind its mode-collapse metrics.

    python scripts/train_classifier.py                          # MNIST -> data/judges/mnist-<content>.pt
    python scripts/train_classifier.py data=fashion_mnist       # Fashion-MNIST's own judge
    python scripts/train_classifier.py data=csv data.train_csv=a.csv data.test_csv=b.csv --epochs 5

A training run with metrics on trains its dataset's judge once by itself when there is none; this script does
it explicitly, or again. The judge is stored under the dataset's name and the training data's
content, so judges of different datasets never overwrite each other. Downloads work as in training
(MNIST_MIRROR, FASHION_MNIST_MIRROR).
"""

import argparse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("overrides", nargs="*", help="data config overrides, as for train.py: data=fashion_mnist")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="where to save the judge (default: data_dir/judges/<name>-<content>.pt)")
    args = parser.parse_args()
    from hydra.utils import instantiate  # after the arguments: --help stays fast

    from gan.config import compose
    from gan.evaluation.judge import locate_judge, save_judge, train_judge, untrustworthy

    data = instantiate(compose(*args.overrides).data)
    data.prepare_data()
    if data.test_csv is None:
        parser.error("data.test_csv is not set: the judge's accuracy is measured on the dataset's own test set")
    # keyed by the training CSV (for Stacked MNIST: the MNIST CSV it stacks)
    out, key, _ = locate_judge(
        data.train_csv, data.data_dir / "cache", data.data_dir / "judges", data.judge_name, args.out
    )
    judge, accuracy = train_judge(data.train_csv, data.test_csv, data.data_dir / "cache", args.epochs, seed=args.seed)
    save_judge(judge, accuracy, key, data.judge_name, out)
    print(f"{data.name}: test accuracy {accuracy:.4f} on {data.test_csv}; saved {out}")
    warning = untrustworthy(accuracy)
    if warning:
        print(f"WARNING: {warning}")


if __name__ == "__main__":
    main()
