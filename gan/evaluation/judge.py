"""The judge: a small CNN digit classifier that puts numbers on mode collapse.

Inception features mean little on 28x28 digits; a classifier trained on MNIST itself knows what a "3" is.
Its penultimate layer (``judge.body``) feeds judge-FD, its logits (``judge`` itself) feed judge-IS.
"""

import hashlib
import pickle
import time
from pathlib import Path

import torch
from torch import nn
from tqdm import tqdm

from gan.data.csv_files import load_csv
from gan.data.mnist import MnistDataset
from gan.errors import ConfigError
from gan.file_safety import UnsafeFileError, atomic_path, load_problem, load_rebuildable, load_tensors

FEATURES = 128


class Judge(nn.Module):
    """images [N, 784] in [0, 1] -> digit logits [N, 10]."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Unflatten(1, (1, 28, 28)),  # [N, 1, 28, 28]
            nn.Conv2d(1, 16, 3, padding=1),  # [N, 16, 28, 28]
            nn.ReLU(),
            nn.MaxPool2d(2),  # [N, 16, 14, 14]
            nn.Conv2d(16, 32, 3, padding=1),  # [N, 32, 14, 14]
            nn.ReLU(),
            nn.MaxPool2d(2),  # [N, 32, 7, 7]
            nn.Flatten(),  # [N, 1568]
            nn.Linear(32 * 7 * 7, FEATURES),  # [N, 128]: the features judge-FD compares
            nn.ReLU(),
        )
        self.body.num_features = FEATURES  # read by torchmetrics' FrechetInceptionDistance
        self.head = nn.Linear(FEATURES, 10)  # [N, 10]

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(images))


@torch.no_grad()
def accuracy(judge: Judge, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 1000) -> float:
    judge.eval()
    correct = sum(
        (judge(x).argmax(1) == y).sum().item()
        for x, y in zip(images.split(batch_size), labels.split(batch_size), strict=True)
    )
    return correct / len(labels)


# A convolution's sums split differently over another thread count, so the same seed trained another judge
# on each: on MNIST 99.14% test accuracy inside a batch-1 run (1 thread) against 99.18% from train_classifier.py
# (2 threads), moving every judge metric (rung 4's judge-FD 167.2 against 163.16). One count for every caller
# makes the judge the same whichever command trains it (on a given kind of CPU).
TRAINING_THREADS = 2


def train_judge(
    train_csv,
    test_csv,
    cache_dir,
    epochs: int = 3,
    batch_size: int = 128,
    seed: int = 0,
    progress: bool = True,
) -> tuple[Judge, float]:
    """Train the judge on ``train_csv``; return it with its accuracy on ``test_csv``. It trains on
    ``TRAINING_THREADS`` threads whatever the caller's count, which it restores afterwards."""
    train, test = MnistDataset(train_csv, cache_dir), MnistDataset(test_csv, cache_dir)
    threads = torch.get_num_threads()
    torch.set_num_threads(TRAINING_THREADS)
    try:
        judge = _fit(train, epochs, batch_size, seed, progress)
    finally:
        torch.set_num_threads(threads)
    return judge, accuracy(judge, test.images, test.labels.long())


def _fit(train: MnistDataset, epochs: int, batch_size: int, seed: int, progress: bool) -> Judge:
    generator = torch.Generator().manual_seed(seed)  # the epochs' order
    with torch.random.fork_rng():  # the judge's training leaves the caller's RNG as it was
        torch.manual_seed(seed)
        judge = Judge()
        optimizer = torch.optim.Adam(judge.parameters(), lr=1e-3)
        steps = epochs * -(-len(train) // batch_size)
        # one-cycle: 99.2% test accuracy in 3 epochs (98.5% at a constant 1e-3)
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=steps)
        labels = train.labels.long()
        for epoch in range(epochs):
            judge.train()
            order = torch.randperm(len(train), generator=generator)
            batches = tqdm(order.split(batch_size), desc=f"judge epoch {epoch + 1}/{epochs}", disable=not progress)
            for rows in batches:
                loss = nn.functional.cross_entropy(judge(train.images[rows]), labels[rows])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                schedule.step()
                batches.set_postfix(loss=f"{loss.item():.3f}", refresh=False)
    return judge


JUDGE_FLOOR = 0.8  # below this test accuracy the judge's metrics are flagged as untrustworthy
MIN_TRAIN_IMAGES = 1000  # fewer training images than this cannot teach a judge 10 classes


def content_key(labels: torch.Tensor, pixels: torch.Tensor) -> str:
    """Names a training set by its content, whatever its path, mtime or header row."""
    digest = hashlib.sha1(labels.numpy().tobytes())
    digest.update(pixels.numpy().tobytes())
    return digest.hexdigest()[:12]


def default_path(judge_dir, dataset: str, key: str) -> Path:
    """Where the judge of a training set lives: its dataset's name and its content, so judges never collide."""
    return Path(judge_dir) / f"{dataset}-{key}.pt"


def locate_judge(train_csv, cache_dir, judge_dir, dataset: str, path=None) -> tuple[Path, str, int]:
    """(the judge's file, the training data's content key, its image count): ``path`` if given, else the
    dataset's own file under ``judge_dir``."""
    labels, pixels = load_csv(train_csv, cache_dir)
    key = content_key(labels, pixels)
    return (Path(path) if path is not None else default_path(judge_dir, dataset, key)), key, len(labels)


def save_judge(judge: Judge, test_accuracy: float, key: str, dataset: str, path) -> None:
    state = {"state_dict": judge.state_dict(), "test_accuracy": test_accuracy, "source": key, "dataset": dataset}
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def read_judge_state(path: Path, named: bool):
    """The saved state at a judge's ``path``, or None where there is none to use. The project's own judge file
    (``named=False``: data_dir/judges/...) that does not load is moved aside and made again; a file the user named
    (``metrics.judge``) is never moved or replaced: one that does not load as a judge is a ``ConfigError``."""
    if not path.is_file():
        return None
    if not named:
        return load_rebuildable(path, "the judge")
    try:
        state = load_tensors(path)
    except UnsafeFileError:
        raise
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, ValueError) as error:  # not a torch file
        raise ConfigError(
            f"metrics.judge={path} does not load as a judge ({load_problem(error)}); it is left as it is. "
            "Name a judge file, or a path that does not exist yet, or set metrics.judge=null."
        ) from None
    if not isinstance(state, dict) or "state_dict" not in state:
        raise ConfigError(f"metrics.judge={path} is not a judge file (no state_dict); it is left as it is")
    return state


def load_judge(path) -> tuple[Judge, float]:
    return judge_from_state(load_tensors(path))


def judge_from_state(state: dict) -> tuple[Judge, float]:
    judge = Judge()
    judge.load_state_dict(state["state_dict"])
    return judge.eval(), state["test_accuracy"]


def untrustworthy(test_accuracy: float) -> str | None:
    """The warning for a judge below the floor, else None."""
    if test_accuracy >= JUDGE_FLOOR:
        return None
    return (
        f"UNTRUSTWORTHY METRICS: the judge reads only {test_accuracy:.1%} of its own test set correctly "
        f"(floor {JUDGE_FLOOR:.0%}); modes, KL, confident, judge-FD and judge-IS mean little. "
        "More (and labelled) training images make a better judge."
    )


def ensure_judge(train_csv, test_csv, cache_dir, dataset: str, judge_dir, path=None, log=print) -> tuple[Judge, dict]:
    """The judge of this training set, trained (once) when there is none; with a description of it.

    The judge is found by the training data's content (``locate_judge``), or at ``path`` when given; a file
    there that belongs to other data is never overwritten. Returns (judge, {"dataset", "judge",
    "judge_accuracy"}), the accuracy measured on ``test_csv`` when the judge was trained; the caller warns
    when it is below the floor (``untrustworthy``).
    """
    named = path is not None
    path, key, images = locate_judge(train_csv, cache_dir, judge_dir, dataset, path)
    state = read_judge_state(path, named)
    if state is not None:
        if isinstance(state, dict) and state.get("source") == key:
            judge, test_accuracy = judge_from_state(state)
            return judge, {"dataset": dataset, "judge": str(path), "judge_accuracy": test_accuracy}
        raise ConfigError(
            f"metrics.judge={path} is the judge of other training data "
            f"({state.get('dataset', 'unknown') if isinstance(state, dict) else 'not a judge file'}), "
            f"not of {train_csv}; it is left as it is. Set metrics.judge=null to keep one judge per dataset."
        )
    if images < MIN_TRAIN_IMAGES:
        log(
            f"WARNING: {train_csv} has {images} images, fewer than the {MIN_TRAIN_IMAGES} a judge needs to "
            "learn the classes: expect an untrustworthy judge"
        )
    log(f"judge: none for {dataset} ({train_csv}, content {key}) yet; training one into {path} (once)")
    started = time.perf_counter()
    judge, test_accuracy = train_judge(train_csv, test_csv, cache_dir)
    try:
        save_judge(judge, test_accuracy, key, dataset, path)
    except OSError as error:  # a read-only or full data folder: this run still has its judge
        log(f"WARNING: cannot save the judge to {path} ({error}); it is used for this run and trained again next time")
    log(f"judge: test accuracy {test_accuracy:.4f} on {test_csv} after {time.perf_counter() - started:.0f} s")
    return judge.eval(), {"dataset": dataset, "judge": str(path), "judge_accuracy": test_accuracy}
