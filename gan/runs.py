"""Where runs go: the folder-naming resolvers of conf/train.yaml's hydra node, shared by the scripts."""

import hashlib
from pathlib import Path

from omegaconf import OmegaConf


def run_name(overrides: str) -> str:
    """A run folder's name: its command-line overrides, a path value shortened to its last part."""
    items = []
    for item in overrides.split(",") if overrides else []:
        key, sep, value = item.partition("=")
        items.append(f"{key}{sep}{value.rstrip('/').rsplit('/', 1)[-1]}")
    name = ",".join(items) or "defaults"
    if len(name) > 160:  # file systems cap a name at 255 bytes; keep it unique with a hash of the whole
        name = f"{name[:150]}..{hashlib.sha1(name.encode()).hexdigest()[:8]}"
    return name


def run_dir(resume, overrides: str, now: str) -> str:
    """A new run's folder, or the folder of the run that ``resume`` continues."""
    if resume:
        path = Path(resume)
        return str(path.parent.parent if path.suffix == ".ckpt" else path)
    return f"lightning_logs/{run_name(overrides)}/{now}"


def register_resolvers() -> None:
    """Call before @hydra.main runs: conf/train.yaml names run folders with these."""
    OmegaConf.register_new_resolver("run_name", run_name, replace=True)
    OmegaConf.register_new_resolver("run_dir", run_dir, replace=True)
    # a resumed run keeps its own .hydra/ and records each resume command beside it
    OmegaConf.register_new_resolver(
        "hydra_subdir", lambda resume, now: f".hydra-resume-{now}" if resume else ".hydra", replace=True
    )
