"""Train a GAN on MNIST.

    python scripts/train.py model=baseline                  # the walkthrough's first GAN, exactly
    python scripts/train.py model=improved noise=randn      # the last rung: mode collapse cured
    python scripts/train.py -m model=baseline,improved      # a Hydra multirun sweep
    python scripts/train.py resume=<run folder or .ckpt>    # continue a run; trainer.max_epochs=N extends it

Everything of a run goes to one folder under lightning_logs/, named by its overrides; the path is printed
at the end. Offline, MNIST_MIRROR=<directory or URL> points the download at a local copy of the IDX files.
Ctrl-C (or SIGTERM) stops after the current chunk and saves checkpoints/last.ckpt for resume=.
"""

import os
import re
import shutil
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import OmegaConf

from gan.command_errors import expected, fail, remove_created, reported_errors
from gan.command_errors import message as error_message
from gan.errors import ConfigError, GanError
from gan.file_safety import NEARLY_FULL
from gan.logs import log
from gan.training.run_folders import RESUME_MAY_CHANGE, SweepStatus, register_resolvers

register_resolvers()
_ABSENT = object()


def resumed_config(checkpoint: Path, saved: dict):
    """The run's own config (carried by its checkpoint), with this command's overrides of the keys a resume may
    change (``RESUME_MAY_CHANGE`` in gan/training/run_folders.py: limits, epochs, threads, the bar, the checkpoint
    interval). Any other override that differs from the run's value is refused, naming it: it would mix two runs
    in one."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from gan.training.saved_runs import checkpoint_config

    texts = [o for o in HydraConfig.get().overrides.task if not o.startswith("resume=")]
    saved_cfg = checkpoint_config(saved, checkpoint)
    changed, allowed = [], []
    for text, override in zip(texts, OverridesParser.create().parse_overrides(texts), strict=True):
        key, value = override.key_or_group, override.value()
        if key in RESUME_MAY_CHANGE:
            allowed.append((key, value))
        elif OmegaConf.select(saved_cfg, key, default=_ABSENT) != value:
            changed.append(text)
    if changed:
        raise ConfigError(
            f"resume= continues a run with its own config; {', '.join(changed)} would change it. "
            f"A resume may change only {', '.join(sorted(RESUME_MAY_CHANGE))}; start a new run for anything else."
        )
    for key, value in allowed:
        OmegaConf.update(saved_cfg, key, value, force_add=True)
    return saved_cfg


def run(cfg, folder: Path) -> float | None:
    """Train (or resume) the run of ``cfg`` into ``folder`` and say how it ended."""
    from gan.training.checkpoints import TrainingInterrupted  # here, not at the top: --help stays fast
    from gan.training.fit import train
    from gan.training.saved_runs import resumable_checkpoint

    checkpoint = saved = None
    if cfg.resume:
        checkpoint, saved = resumable_checkpoint(cfg.resume)
        cfg = resumed_config(checkpoint, saved)
        log.info(f"resuming {folder} from {checkpoint}")
    try:
        summary = train(cfg, folder, ckpt_path=checkpoint, saved=saved)  # the checkpoint is read once
    except TrainingInterrupted as stop:
        # quoted twice: run folder names hold "=" and ",", which Hydra's override grammar reads otherwise
        log.info(f"\n{stop}\nresume with: python scripts/train.py \"resume='{folder}'\"")
        sys.exit(130)
    if summary is None:  # a finished run resumed without a larger limit
        log.info(
            f"nothing to do: {folder} already reached its limits (trainer.max_epochs, max_updates, max_images); "
            "its files are left as they were. Raise a limit to train on, e.g. trainer.max_epochs=N."
        )
        return None
    losses = (summary["last_d_loss"], summary["last_g_loss"])
    shown = f"D {losses[0]:.3f}, G {losses[1]:.3f}" if None not in losses else "none (no update was made)"
    log.info(
        f"done: {summary['updates']:,} updates ({summary['images']:,} images) in {summary['fit_seconds']:.1f} s; "
        f"last losses (as on the progress bar; D's two steps averaged): {shown}"
    )
    log.info(f"run folder: {summary['run_dir']}")
    # the value Hydra's Optuna sweeper minimises; a run too short to record a loss counts as the worst
    return float("inf") if summary["objective"] is None else summary["objective"]


@hydra.main(config_path="../conf", config_name="train", version_base="1.3")
def main(cfg) -> float | None:
    hydra_cfg = HydraConfig.get()
    folder = Path(hydra_cfg.runtime.output_dir)
    if hydra_cfg.mode == RunMode.MULTIRUN:
        # one failing job must not stop a sweep's others: its folder records the error (train.log, status.json),
        # report.py lists it as failed, and the sweep's command exits 1 at the end (run_folders.SweepStatus)
        from gan.logs import keep_run_log
        from gan.training.run_record import write_status

        keep_run_log()  # a job's folder is its own: its train.log records a failure too (report.py reads it)
        try:
            return run(cfg, folder)
        except Exception as error:
            planned = expected(error)
            message = error_message(error) if planned else f"{type(error).__name__}: {error}"
            if planned:
                log.error(f"error: {message}")
            else:  # a bug: its traceback goes to train.log and the console
                log.exception(f"error: {message}")
            write_status(folder, "failed", message)
            return float("inf")
    # what this command may remove if it fails before training writes anything: the run folder, or, when it
    # continues a run, only its .hydra-resume-* record; and of those only what it created
    # (gan.command_errors.remove_created)
    subdir = hydra_cfg.output_subdir
    own = [folder] if subdir in (None, ".hydra") else [folder / subdir]
    with reported_errors(own):
        objective = run(cfg, folder)
    if objective is None:  # nothing was done: no record of this command is kept either
        remove_created(own)
    return objective


RESULTS = ("checkpoints", "summary.json", "samples.png")  # what a run folder holds once a run has trained into it


def holds_results(folder: Path) -> bool:
    return any((folder / name).exists() for name in RESULTS)


def _check_writable(folder: Path, key: str) -> None:
    """Refuse, in one line and before anything is written, a run or sweep folder this process cannot write in."""
    existing = next(p for p in [folder, *folder.parents] if p.exists() or p == Path(p.anchor))
    if not existing.is_dir():
        fail(f"{key}={folder}: {existing} is a file, not a folder; nothing was changed")
    free = shutil.disk_usage(existing).free
    if free < NEARLY_FULL:  # Hydra's own write of .hydra/ would fail half-way, with its traceback
        fail(
            f"{key}={folder}: no space left on the device ({free / 2**20:.1f} MiB free in {existing}); nothing was "
            "changed"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        fail(
            f"{key}={folder}: {existing} cannot be written by this user (permission denied or a read-only file "
            "system); train into a folder you can write; nothing was changed"
        )


def _hold(folder: Path, key: str) -> None:
    """Take the run folder's lock before Hydra writes its .hydra/ record there (one writer per run); a folder made
    here is recorded as this command's own, so a command that then fails removes it."""
    from gan.errors import FolderTakenError
    from gan.file_safety import UnsafeFileError, refuse_links
    from gan.training.run_folders import make_folder
    from gan.training.run_lock import hold_run_folder

    try:
        if not folder.is_dir():
            make_folder(folder)
        refuse_links(folder)
        hold_run_folder(folder)
    except (FolderTakenError, UnsafeFileError) as error:
        fail(f"{error}; nothing was changed")
    except OSError as error:  # raced by another process, or a file system that refuses what os.access allowed
        fail(f"{key}={folder}: {error.strerror or error}; nothing was changed")


def check_folders(argv: list[str]) -> None:
    """``_check_folders``, with a folder this user may not even look into reported in one line."""
    try:
        _check_folders(argv)
    except PermissionError as error:
        fail(f"{error.filename}: permission denied: this user cannot read it; nothing was changed")


_ENV = re.compile(r"\$\{oc\.env:([A-Za-z_][A-Za-z0-9_]*)(?:,([^}]*))?\}")
_NOW = re.compile(r"\$\{now:([^${}]*)\}")


def _folder_as_resolved(text: str, key: str) -> Path:
    """The folder ``text`` names once Hydra resolves it, for the checks below: an environment variable
    (``${oc.env:RUNDIR}``) is read here as Hydra will, a time (``${now:%Y}``) is this second's, and ``..`` is taken
    out (``RUN/${now:%Y}/..`` is RUN); any other interpolation is refused, as it cannot be checked before Hydra writes
    into the folder."""
    import datetime

    resolved = _ENV.sub(lambda m: os.environ.get(m[1], m[0] if m[2] is None else m[2].strip("'\"")), text)
    now = datetime.datetime.now()
    if any(not m[1].strip() for m in _NOW.finditer(resolved)):
        fail(f"{key}={text}: ${{now:}} needs a time format, e.g. ${{now:%Y-%m-%d_%H-%M-%S}}; nothing was changed")
    resolved = _NOW.sub(lambda m: now.strftime(m[1]), resolved)
    if "${" in resolved:
        fail(
            f"{key}={text}: a folder named by an interpolation (other than ${{oc.env:NAME}} of a set variable and "
            "${now:...}) cannot be checked before Hydra writes into it; give the folder as a path; nothing was changed"
        )
    if not resolved.strip():
        fail(f"{key}={text!r} names no folder; give a path; nothing was changed")
    return Path(os.path.normpath(resolved))


def _refuse_finished(folder: Path, key: str, text) -> None:
    if holds_results(folder):
        fail(
            f"{key}={text} already holds a run's results ({', '.join(RESULTS)}) in {folder}: continue that run with "
            f"resume={folder}, or train into a fresh folder; nothing was changed"
        )


def _check_experiment(name) -> None:
    from gan.config import check_experiments

    try:
        check_experiments(name)
    except ConfigError as error:
        fail(f"{error}; nothing was changed")


def _resume_path(resume) -> Path | None:
    """``resume=``'s path, refused in one line unless it is an existing run folder or ``.ckpt`` file."""
    if resume in (None, "null"):
        return None
    resume = Path(str(resume))
    if not resume.exists():
        fail(f"resume={resume}: no such run folder or checkpoint")
    if not (resume.is_dir() or resume.is_file()):
        fail(f"resume={resume}: neither a run folder nor a checkpoint file; give a run folder or a .ckpt file")
    if resume.is_file() and resume.suffix != ".ckpt":
        fail(f"resume={resume}: a file that is not a checkpoint; give a run folder or a .ckpt file")
    return resume


def _check_sweep_folders(given: dict, overrides) -> Path | None:
    """A sweep's folder (as resolved) must not hold finished jobs, nor its jobs share one folder, nor a job's named
    folder be finished or busy. Returns the sweep folder, None when Hydra names it."""
    from gan.training.run_lock import refuse_if_held

    sweep_text = given.get("hydra.sweep.dir")
    sweep_dir = _folder_as_resolved(str(sweep_text), "hydra.sweep.dir") if sweep_text else None
    if sweep_dir is not None and sweep_dir.is_dir():
        finished = [job for job in [sweep_dir, *sweep_dir.iterdir()] if job.is_dir() and holds_results(job)]
        if finished:
            fail(
                f"hydra.sweep.dir={sweep_text} already holds the results of {len(finished)} job(s) (e.g. "
                f"{finished[0].name}): give a fresh hydra.sweep.dir (or resume a job with resume=<its folder>); "
                "nothing was changed"
            )
    subdir = given.get("hydra.sweep.subdir")
    if subdir is not None and "${" not in str(subdir):
        if any(o.is_sweep_override() for o in overrides):
            fail(
                f"hydra.sweep.subdir={subdir} names one folder for every job of the sweep: each job would train over "
                "the one before it and its record of failure; leave it out (each job gets a folder named by its "
                "overrides) or make it differ per job, e.g. 'hydra.sweep.subdir=${hydra.job.num}'; nothing was changed"
            )
        job = Path(os.path.normpath((sweep_dir or Path("lightning_logs/multirun/x")) / str(subdir)))
        _refuse_finished(job, "hydra.sweep.subdir", subdir)
        try:
            refuse_if_held(job)
        except GanError as error:
            fail(f"{error}; nothing was changed")
    return sweep_dir


def _check_folders(argv: list[str]) -> None:
    """Before Hydra makes or writes any folder: ``resume=PATH`` must exist; a run or sweep folder named on the
    command line, as it will be once resolved (``${now:...}``, ``..``), must not hold a finished run's results
    (training into it would replace them; Hydra would rewrite its .hydra/ record even for a command that then fails),
    must be writable, and a run folder must not be another process's (its lock is taken here); a sweep's jobs must
    not share one folder; a resume continues its own folder, never one named by hydra.run.dir. A refused command
    changes nothing."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import OverrideParseException

    from gan.training.run_folders import continues_in_place

    try:
        overrides = OverridesParser.create().parse_overrides([a for a in argv if not a.startswith("-")])
    except OverrideParseException:  # a malformed override: Hydra reports it, with its grammar's message
        return
    except ValueError as error:  # Python's own limit on an integer's digits, met inside Hydra's grammar
        fail(f"an override holds a value Hydra cannot read: {str(error).splitlines()[0]}; nothing was changed")
    multirun = any(a in ("-m", "--multirun") for a in argv)
    given = {o.key_or_group: o.value() for o in overrides}
    if "experiment" in given:
        _check_experiment(given["experiment"])
    resume = None if multirun else _resume_path(given.get("resume"))
    text = given.get("hydra.run.dir")
    run_dir = _folder_as_resolved(str(text), "hydra.run.dir") if text not in (None, "") and not multirun else None
    continued = None  # the folder a resume continues in place
    if resume is not None:
        continued = resume if resume.is_dir() else resume.parent.parent if continues_in_place(resume) else None
    if continued is not None and run_dir is not None and run_dir.resolve() != continued.resolve():
        fail(
            f"resume={resume} continues the run in its own folder {continued}; hydra.run.dir={text} would send it "
            "elsewhere: leave hydra.run.dir out (or give a loose .ckpt to start a new run folder from it); nothing "
            "was changed"
        )
    if run_dir is not None and continued is None:  # a new run's folder, or a loose checkpoint's new one
        _refuse_finished(run_dir, "hydra.run.dir", text)
    sweep_dir = _check_sweep_folders(given, overrides) if multirun else None
    if multirun:
        _check_writable(sweep_dir or Path("lightning_logs"), "hydra.sweep.dir")
    elif continued is not None:
        _check_writable(continued, "resume")
        _hold(continued, "resume")
    elif run_dir is not None:
        _check_writable(run_dir, "hydra.run.dir")
        _hold(run_dir, "hydra.run.dir")
    else:
        _check_writable(Path("lightning_logs"), "hydra.run.dir")


def print_help() -> None:
    """``--help``, from conf/ itself: conf/train.yaml's help template, its groups and options read from the folder.

    Hydra's own ``--help`` lists the groups by building and deep-copying a config repository for each (1.2-2 s on a
    2-core machine); this prints the same text in a fraction of that. Its flags' paragraph comes from Hydra's
    argument parser, through two private names (``hydra._internal``), wrapped here once: tests/test_first_hour.py
    checks that they still exist and that the text lists every group."""
    import string

    import yaml
    from hydra._internal.hydra import Hydra
    from hydra._internal.utils import get_args_parser

    conf = Path(__file__).resolve().parents[1] / "conf"
    template = yaml.safe_load((conf / "train.yaml").read_text())["hydra"]["help"]["template"]
    groups = sorted({p.parent.relative_to(conf).as_posix() for p in conf.rglob("*.yaml") if p.parent != conf})
    listed = "".join(f"{g}: {', '.join(sorted(p.stem for p in (conf / g).glob('*.yaml')))}\n" for g in groups)
    flags = Hydra.format_args_help(get_args_parser())
    print(string.Template(template).substitute(FLAGS_HELP=flags, APP_CONFIG_GROUPS=listed, HYDRA_CONFIG_GROUPS="",
                                               CONFIG=""))  # fmt: skip


if __name__ == "__main__":
    if any(a in ("--help", "-h") for a in sys.argv[1:]):
        print_help()
        sys.exit(0)
    check_folders(sys.argv[1:])
    main()
    if SweepStatus.failed:  # the sweep ran all its jobs; some failed (listed above)
        sys.exit(1)
