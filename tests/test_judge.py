"""gan.evaluation.judge: the same judge from every command that trains it."""

import torch

from gan.evaluation.judge import train_judge
from tests.conftest import synthetic, write_csv


def test_the_judge_trains_the_same_whatever_the_callers_thread_count(tmp_path):
    train_csv = write_csv(tmp_path / "train.csv", *synthetic(256))
    test_csv = write_csv(tmp_path / "test.csv", *synthetic(64, 1))
    weights = {}
    before = torch.get_num_threads()
    try:
        for threads in (1, 3):  # a batch-1 run sets 1; train_classifier.py keeps torch's default
            torch.set_num_threads(threads)
            judge, _ = train_judge(train_csv, test_csv, tmp_path / "cache", epochs=1, progress=False)
            assert torch.get_num_threads() == threads  # the caller's count is given back
            weights[threads] = judge.state_dict()
    finally:
        torch.set_num_threads(before)
    assert all(torch.equal(weights[1][name], weights[3][name]) for name in weights[1])
