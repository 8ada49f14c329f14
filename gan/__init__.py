"""The classic first MNIST GAN as a Lightning + Hydra project.

The Python API (gan/api/), for notebooks and scripts:

    import gan
    run = gan.train("model=baseline", "max_updates=2000")   # as python scripts/train.py model=baseline ...
    run.samples(range(6)); run.interpolate(3, 8); run.metrics(); run.losses; run.plot_losses()
    run = gan.load("lightning_logs/<run folder>")            # or a .ckpt
    table, figure = gan.compare("lightning_logs/multirun/<time>")
"""

__all__ = ["compare", "load", "train"]


def __getattr__(name: str):
    """``gan.train``, ``gan.load`` and ``gan.compare``, imported on first use: ``import gan`` (and every script's
    ``--help``) stays cheap, without torch, pandas and matplotlib until a run is trained or loaded."""
    if name in __all__:
        import gan.api

        return getattr(gan.api, name)
    raise AttributeError(f"module 'gan' has no attribute {name!r}")
