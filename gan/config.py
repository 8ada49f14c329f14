"""Compose the training config in plain Python (tests, benchmarks, notebooks), as scripts/train.py would."""

from pathlib import Path

from hydra import compose as hydra_compose
from hydra import initialize_config_dir

CONF_DIR = Path(__file__).resolve().parents[1] / "conf"


def compose(*overrides: str, config_name: str = "train"):
    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        return hydra_compose(config_name, overrides=list(overrides))
