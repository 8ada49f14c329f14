"""The walkthrough's first looks: training images with plot_image, and an untrained generator's output.

    python scripts/show_data.py                          # image 17, as the walkthrough
    python scripts/show_data.py "indices=[0,1,17]" model=improved
    python scripts/show_data.py data=stacked_mnist       # a Stacked MNIST sample, in colour

Writes image_<index>.png (title "label = N", Blues) and untrained_generator.png into the printed folder.
"""

import hydra
from hydra.core.hydra_config import HydraConfig

from gan.command_errors import reported_errors
from gan.training.run_folders import register_resolvers

register_resolvers()


@hydra.main(config_path="../conf", config_name="show_data", version_base="1.3")
def main(cfg) -> None:
    with reported_errors():
        show(cfg, HydraConfig.get().runtime.output_dir)


def show(cfg, out) -> None:
    import torch  # here, not at the top: --help stays fast
    from hydra.utils import instantiate

    from gan.evaluation.plots import save_sample_grid
    from gan.training.from_config import build_module

    data = instantiate(cfg.data)
    data.prepare_data()
    dataset = data.train_set  # MNIST's CSV rows, or Stacked MNIST's samples (in colour)
    for index in cfg.indices:
        picture = dataset.plot_image(index, f"{out}/image_{index}.png", data.class_names)
        label = int(dataset.labels[index])
        named = " ".join(map(str, dataset.digits[index].tolist())) if data.channels > 1 else data.class_names[label]
        print(f"wrote {picture}  (label = {label}: {named})")
    # the walkthrough's generator check: an untrained G turns one seed into a noisy, grey-ish image
    torch.manual_seed(cfg.seed)
    module = build_module(cfg)
    image = module.sample(module.noise(1, module.latent_dim), torch.zeros(1, dtype=torch.long))  # digit 0 if asked
    print(f"wrote {save_sample_grid(image, 1, 1, f'{out}/untrained_generator.png', titles=['untrained G'])}")


if __name__ == "__main__":
    main()
