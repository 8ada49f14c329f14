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

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import OmegaConf

from gan.checkpointing import TrainingInterrupted
from gan.loading import find_checkpoint
from gan.runs import register_resolvers
from gan.train import train

register_resolvers()


def resumed_config(cfg, run_dir):
    """The run's own saved config, with this command's key=value overrides (e.g. trainer.max_epochs=3)."""
    saved = OmegaConf.load(run_dir / ".hydra" / "config.yaml")
    overrides = [o for o in HydraConfig.get().overrides.task if not o.startswith("resume=")]
    groups = [o for o in overrides if "." not in o.split("=", 1)[0]]
    if groups:
        raise SystemExit(
            f"resume= continues a run with its own config; {groups} would change it. "
            "Only key=value overrides such as trainer.max_epochs=3 apply."
        )
    return OmegaConf.merge(saved, OmegaConf.from_dotlist(overrides))


@hydra.main(config_path="../conf", config_name="train", version_base="1.3")
def main(cfg) -> float | None:
    folder, checkpoint = HydraConfig.get().runtime.output_dir, None
    if cfg.resume:
        checkpoint, folder = find_checkpoint(cfg.resume)
        cfg = resumed_config(cfg, folder)
        print(f"resuming {folder} from {checkpoint}")
    try:
        summary = train(cfg, folder, ckpt_path=checkpoint)
    except TrainingInterrupted as stop:
        # quoted twice: run folder names hold "=" and ",", which Hydra's override grammar reads otherwise
        print(f"\n{stop}\nresume with: python scripts/train.py \"resume='{stop.checkpoint.parent.parent}'\"")
        sys.exit(130)
    print(
        f"{summary['updates']} updates in {summary['fit_seconds']:.1f} s; last recorded losses: "
        f"D {summary['final_d_loss']}, G {summary['final_g_loss']}"
    )
    print(f"run folder: {summary['run_dir']}")
    # the value Hydra's Optuna sweeper minimises; a run too short to record a loss counts as the worst
    return float("inf") if summary["objective"] is None else summary["objective"]


if __name__ == "__main__":
    main()
