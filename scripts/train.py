"""Train a GAN on MNIST.

    python scripts/train.py model=baseline                  # the walkthrough's first GAN, exactly
    python scripts/train.py model=improved noise=randn      # the last rung: mode collapse cured
    python scripts/train.py -m model=baseline,improved      # a Hydra multirun sweep

Everything of a run goes to one folder under lightning_logs/, named by its overrides; the path is printed
at the end. Offline, MNIST_MIRROR=<directory or URL> points the download at a local copy of the IDX files.
"""

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import OmegaConf

from gan.train import train

# a run folder's name: its command-line overrides (one folder level, so "/" becomes "_"), or "defaults"
OmegaConf.register_new_resolver("run_name", lambda overrides: overrides.replace("/", "_") or "defaults")


@hydra.main(config_path="../conf", config_name="train", version_base="1.3")
def main(cfg) -> None:
    summary = train(cfg, HydraConfig.get().runtime.output_dir)
    print(
        f"{summary['updates']} updates in {summary['fit_seconds']:.1f} s; last recorded losses: "
        f"D {summary['final_d_loss']}, G {summary['final_g_loss']}"
    )
    print(f"run folder: {summary['run_dir']}")


if __name__ == "__main__":
    main()
