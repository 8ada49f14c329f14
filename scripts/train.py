"""Train a GAN on MNIST.

    python scripts/train.py model=baseline                  # the walkthrough's first GAN, exactly
    python scripts/train.py model=improved noise=randn      # the last rung: mode collapse cured
    python scripts/train.py -m model=baseline,improved      # a Hydra multirun sweep
    python scripts/train.py resume=<run folder or .ckpt>    # continue a run; trainer.max_epochs=N extends it

Everything of a run goes to one folder under lightning_logs/, named by its overrides; the path is printed
at the end. Offline, MNIST_MIRROR=<directory or URL> points the download at a local copy of the IDX files.
Ctrl-C (or SIGTERM) stops after the current chunk and saves checkpoints/last.ckpt for resume=.
"""

import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import OmegaConf

from gan.cli import fail, reported_errors
from gan.logs import log
from gan.runs import register_resolvers

register_resolvers()


def resumed_config(checkpoint: Path, saved: dict):
    """The run's own config (carried by its checkpoint), with this command's key=value overrides
    (e.g. trainer.max_epochs=3)."""
    from gan.loading import checkpoint_config

    overrides = [o for o in HydraConfig.get().overrides.task if not o.startswith("resume=")]
    groups = [o for o in overrides if "." not in o.split("=", 1)[0]]
    if groups:
        raise ValueError(
            f"resume= continues a run with its own config; {groups} would change it. "
            "Only key=value overrides such as trainer.max_epochs=3 apply."
        )
    return OmegaConf.merge(checkpoint_config(saved, checkpoint), OmegaConf.from_dotlist(overrides))


@hydra.main(config_path="../conf", config_name="train", version_base="1.3")
def main(cfg) -> float | None:
    hydra_cfg = HydraConfig.get()
    folder, checkpoint = Path(hydra_cfg.runtime.output_dir), None
    # what this command made, removed if it fails before training writes anything: the run folder, or only
    # its .hydra-resume-* record when it continues a run (Lightning's DDP workers run with output_subdir null)
    subdir = hydra_cfg.output_subdir
    made = folder if subdir in (None, ".hydra") else folder / subdir
    with reported_errors(made):
        from gan.checkpointing import TrainingInterrupted  # here, not at the top: --help stays fast
        from gan.loading import resumable_checkpoint
        from gan.train import train

        if cfg.resume:
            checkpoint, saved = resumable_checkpoint(cfg.resume)
            cfg = resumed_config(checkpoint, saved)
            log.info(f"resuming {folder} from {checkpoint}")
        try:
            summary = train(cfg, folder, ckpt_path=checkpoint)
        except TrainingInterrupted as stop:
            # quoted twice: run folder names hold "=" and ",", which Hydra's override grammar reads otherwise
            log.info(f"\n{stop}\nresume with: python scripts/train.py \"resume='{folder}'\"")
            sys.exit(130)
    losses = (summary["last_chunk_d_loss"], summary["last_chunk_g_loss"])
    shown = f"D {losses[0]:.3f}, G {losses[1]:.3f}" if None not in losses else "none (no update was made)"
    log.info(
        f"done: {summary['updates']:,} updates ({summary['images']:,} images) in {summary['fit_seconds']:.1f} s; "
        f"last chunk's mean losses (as on the progress bar): {shown}"
    )
    log.info(f"run folder: {summary['run_dir']}")
    # the value Hydra's Optuna sweeper minimises; a run too short to record a loss counts as the worst
    return float("inf") if summary["objective"] is None else summary["objective"]


def check_resume(argv: list[str]) -> None:
    """``resume=PATH`` must exist before Hydra makes any folder for the run: a failed resume writes nothing."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        overrides = OverridesParser.create().parse_overrides([a for a in argv if not a.startswith("-")])
    except Exception:  # a malformed override: Hydra reports it, with its grammar's message
        return
    for override in overrides:
        if override.key_or_group == "resume" and override.value() not in (None, "null"):
            path = Path(str(override.value()))
            if not path.exists():
                fail(f"resume={path}: no such run folder or checkpoint")


if __name__ == "__main__":
    check_resume(sys.argv[1:])
    main()
