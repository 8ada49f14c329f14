"""Where runs go: the folder-naming resolvers of conf/train.yaml's hydra node, shared by the scripts."""

import hashlib
import re
from pathlib import Path

from omegaconf import OmegaConf

# keys that do not change a run's result: left out of its folder name (and so of TensorBoard's run list)
UNNAMED_KEYS = {"resume", "sweep", "+sweep", "threads", "metrics.samples", "trainer.enable_progress_bar"}
_UNCLEAN = re.compile(r"[\s'\"\\]+")  # quotes from Hydra's override grammar, spaces: not in a folder name


def run_name(overrides: str) -> str:
    """A run folder's name: its command-line overrides, a path value shortened to its last part."""
    items = []
    for item in overrides.split(",") if overrides else []:
        key, sep, value = item.partition("=")
        if key in UNNAMED_KEYS:
            continue
        value = value.strip("'\"").rstrip("/").rsplit("/", 1)[-1]
        items.append(_UNCLEAN.sub("_", f"{key}{sep}{value.lower() if value in ('True', 'False') else value}"))
    name = ",".join(items) or "defaults"
    if len(name) > 160:  # file systems cap a name at 255 bytes; keep it unique with a hash of the whole
        name = f"{name[:150]}..{hashlib.sha1(name.encode()).hexdigest()[:8]}"
    return name


def continues_in_place(checkpoint: Path) -> bool:
    """A checkpoint inside a run folder (``RUN/checkpoints/x.ckpt``) continues that run; one copied anywhere else
    starts a new run folder from it."""
    return checkpoint.parent.name == "checkpoints"


def new_folder(parent: str, now: str) -> str:
    """``parent/now``, created here so that two runs started in the same second never share it: the second
    gets ``now-2`` (and so on)."""
    for attempt in range(1, 1000):
        folder = Path(parent) / (now if attempt == 1 else f"{now}-{attempt}")
        try:
            folder.mkdir(parents=True)
        except FileExistsError:
            continue
        return str(folder)
    raise FileExistsError(f"{parent}: no free run folder for {now}")


def run_dir(resume, overrides: str, now: str) -> str:
    """A new run's folder, or the folder of the run that ``resume`` continues."""
    if resume:
        path = Path(resume)
        if path.suffix != ".ckpt":
            return str(path)
        if continues_in_place(path):
            return str(path.parent.parent)
        return new_folder(f"lightning_logs/{run_name(f'resumed={path.stem}')}", now)
    return new_folder(f"lightning_logs/{run_name(overrides)}", now)


def config_subdir(resume, now: str) -> str:
    """A run's own config goes to ``.hydra``; a resume command that continues a run in place records itself
    beside it."""
    if resume and (Path(resume).suffix != ".ckpt" or continues_in_place(Path(resume))):
        return f".hydra-resume-{now}"
    return ".hydra"


def register_resolvers() -> None:
    """Call before @hydra.main runs: conf/train.yaml names run folders with these."""
    # cached: Hydra reads hydra.run.dir more than once, and each read must name the folder made by the first
    OmegaConf.register_new_resolver("run_name", run_name, replace=True, use_cache=True)
    OmegaConf.register_new_resolver("run_dir", run_dir, replace=True, use_cache=True)
    OmegaConf.register_new_resolver("hydra_subdir", config_subdir, replace=True, use_cache=True)
