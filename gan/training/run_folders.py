"""Where runs go: the folder-naming resolvers of conf/train.yaml's hydra node, shared by the scripts."""

import hashlib
import json
import re
import sys
from pathlib import Path

from hydra.experimental.callback import Callback
from omegaconf import OmegaConf

from gan.config import UNNAMED_KEYS, register_checkout
from gan.errors import FolderTakenError

# the keys `resume=` may change: how long and how a run goes on, never what it computes (docs: README, "Resume")
RESUME_MAY_CHANGE = {
    "trainer.max_epochs",
    "trainer.max_steps",
    "max_updates",
    "max_images",
    "threads",
    "trainer.enable_progress_bar",
    "checkpoints.every_minutes",
}
# quotes from Hydra's override grammar, spaces, and the path separators that would make a name leave its folder
_UNCLEAN = re.compile(r"[\s'\"\\/]+")


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


# folders this process created, outermost first: the only ones a failed command may remove (gan.command_errors)
CREATED: list[Path] = []


def make_folder(folder: Path) -> None:
    """``folder.mkdir(parents=True)``, recording in ``CREATED`` each folder that did not exist before.
    Raises FileExistsError if ``folder`` itself exists: an existing folder is never taken as one's own."""
    missing = [folder, *(p for p in folder.parents if not p.exists())]
    folder.mkdir(parents=True)
    CREATED.extend(p for p in reversed(missing) if p not in CREATED)


def new_folder(parent: str, now: str) -> str:
    """``parent/now``, created here so that two runs started in the same second never share it: the second
    gets ``now-2`` (and so on)."""
    for attempt in range(1, 1000):
        folder = Path(parent) / (now if attempt == 1 else f"{now}-{attempt}")
        try:
            make_folder(folder)
        except FileExistsError:
            continue
        return str(folder)
    raise FolderTakenError(f"{parent}: no free run folder for {now}")


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
    beside it, in a folder it creates (and so may remove if it fails)."""
    if resume and (Path(resume).suffix != ".ckpt" or continues_in_place(Path(resume))):
        return Path(new_folder(run_dir(resume, "", now), f".hydra-resume-{now}")).name
    return ".hydra"


def register_resolvers() -> None:
    """Call before @hydra.main runs: conf/train.yaml names run folders with these (and conf/data/ its data folder)."""
    register_checkout()
    # cached: Hydra reads hydra.run.dir more than once, and each read must name the folder made by the first
    OmegaConf.register_new_resolver("run_name", run_name, replace=True, use_cache=True)
    OmegaConf.register_new_resolver("run_dir", run_dir, replace=True, use_cache=True)
    OmegaConf.register_new_resolver("hydra_subdir", config_subdir, replace=True, use_cache=True)


class SweepStatus(Callback):
    """A Hydra callback: when a sweep ends, name the jobs that failed (each job's status.json, written by
    scripts/train.py) and make the command exit 1 once all of them have run."""

    failed: list[Path] = []  # read by scripts/train.py after the sweep

    def on_multirun_end(self, config, **kwargs) -> None:
        for status in sorted(Path(config.hydra.sweep.dir).glob("**/status.json")):
            record = json.loads(status.read_text())
            if record.get("status") == "failed":
                SweepStatus.failed.append(status.parent)
                print(f"failed: {status.parent}: {record.get('error')}", file=sys.stderr)
        if SweepStatus.failed:  # on stderr, as errors are: Hydra's logging at this point is its own
            print(
                f"{len(SweepStatus.failed)} job(s) of the sweep failed; the others ran (report.py lists all)",
                file=sys.stderr,
            )
