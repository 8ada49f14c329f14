"""The walkthrough's discriminator check: train D alone on real images (target 1) against torch.rand(784)
images (target 0), then print D's output for random real and random noise images.

    python scripts/check_discriminator.py                  # the baseline D: Sigmoid, MSE, SGD
    python scripts/check_discriminator.py model=improved   # any model/loss/optimizer override, as in training
    python scripts/check_discriminator.py limit=10000      # fewer images

A working D says close to 1 for real images and close to 0 for noise. The loss-progress plot goes into the
printed folder.
"""

import hydra
from hydra.core.hydra_config import HydraConfig

from gan.command_errors import reported_errors
from gan.training.run_folders import register_resolvers

register_resolvers()


@hydra.main(config_path="../conf", config_name="check_discriminator", version_base="1.3")
def main(cfg) -> None:
    with reported_errors():
        check(cfg, HydraConfig.get().runtime.output_dir)


def check(cfg, out) -> None:
    import torch  # here, not at the top: --help stays fast
    from hydra.utils import instantiate

    from gan.data.mnist import MnistDataset
    from gan.evaluation.plots import save_loss_curves
    from gan.training.config_checks import torch_threads
    from gan.training.discriminator_check import train_discriminator_alone

    datamodule = instantiate(cfg.data)
    datamodule.prepare_data()
    dataset = MnistDataset(cfg.data.train_csv, f"{cfg.data.data_dir}/cache")
    threads = torch_threads(cfg.threads, batch_size=1)  # D alone trains image by image, as the walkthrough
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(cfg.seed)
    discriminator, loss = instantiate(cfg.model.discriminator), instantiate(cfg.loss)
    images = dataset.images[: cfg.limit] if cfg.limit else dataset.images
    progress = train_discriminator_alone(discriminator, loss, instantiate(cfg.optimizer), images, cfg.log_every)

    picks = torch.randint(0, len(dataset), (cfg.examples,), generator=torch.Generator().manual_seed(cfg.seed))
    with torch.no_grad():
        print("D(real image):", " ".join(f"{discriminator(dataset.images[i]).item():.4f}" for i in picks.tolist()))
        print("D(torch.rand):", " ".join(f"{discriminator(torch.rand(784)).item():.4f}" for _ in range(cfg.examples)))
    path = save_loss_curves({"D": progress}, None, f"{out}/discriminator_progress.png")
    print(f"trained on {len(images):,} real + {len(images):,} noise images; loss plot: {path}")


if __name__ == "__main__":
    main()
