"""The classic first MNIST GAN as a Lightning + Hydra project.

The Python API (gan/api.py), for notebooks and scripts:

    import gan
    run = gan.train("model=baseline", "max_updates=2000")   # as python scripts/train.py model=baseline ...
    run.samples(range(6)); run.interpolate(3, 8); run.metrics(); run.losses; run.plot_losses()
    run = gan.load("lightning_logs/<run folder>")            # or a .ckpt
    table, figure = gan.compare("lightning_logs/multirun/<time>")
"""

from gan.api import compare, load, train

__all__ = ["compare", "load", "train"]
