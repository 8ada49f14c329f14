"""The parts of a run, built from its composed config: the GAN module and the judge metrics."""

from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from gan.config import is_faithful
from gan.data.mixtures import MixtureDataModule
from gan.data.mnist import MnistDataset
from gan.errors import ConfigError
from gan.evaluation.judge import ensure_judge, untrustworthy
from gan.evaluation.metrics import JudgeMetrics
from gan.evaluation.mixture_metrics import MixtureMetrics
from gan.logs import log
from gan.models.faithful import FaithfulGAN
from gan.models.gan import GAN


def build_module(cfg: DictConfig) -> GAN:
    """The GAN of ``cfg``, D built before G as in the walkthrough; at ``data.batch_size=1`` the faithful mode's
    ``FaithfulGAN``. Draws its initial weights from torch's global RNG: training seeds it first (``seed``); loading
    a run for inference keeps the caller's RNG untouched."""
    discriminator = instantiate(cfg.model.discriminator)
    generator = instantiate(cfg.model.generator)
    return (FaithfulGAN if is_faithful(cfg) else GAN)(
        generator=generator,
        discriminator=discriminator,
        loss=instantiate(cfg.loss),
        optimizer=instantiate(cfg.optimizer),
        noise=instantiate(cfg.noise),
        log_every=cfg.log_every,
        sample_grid=tuple(cfg.sample_grid),
        ema_decay=cfg.model.ema_decay,
        max_updates=cfg.max_updates,
        max_images=cfg.max_images,
        penalty=instantiate(cfg.penalty),
        schedule=instantiate(cfg.schedule),
        ramps=instantiate(cfg.ramps),
        info_weight=OmegaConf.select(cfg, "model.info_weight", default=None),  # absent from older runs' configs
        d_update=OmegaConf.select(cfg, "model.d_update", default="split"),  # absent from older runs': they split
    )


def judge_metrics(cfg: DictConfig, data=None) -> JudgeMetrics:
    """The judge of ``cfg``'s dataset (trained once if missing), measuring against that dataset's test images.

    Stacked MNIST is judged digit by digit, with the MNIST judge of the CSVs it is built from."""
    data = data or instantiate(cfg.data)
    if isinstance(data, MixtureDataModule):  # 2D: the modes are known, no judge is needed
        return MixtureMetrics(data.mixture, name=data.name)
    if data.test_csv is None:
        raise ConfigError(
            "data.test_csv is not set: the judge measures samples against the dataset's own test images. "
            "Give data.test_csv=PATH (from the same data as data.train_csv), or train with metrics.enabled=false."
        )
    cache = data.data_dir / "cache"
    judge, about = ensure_judge(
        data.train_csv, data.test_csv, cache, data.judge_name, data.data_dir / "judges", cfg.metrics.judge
    )
    warning = untrustworthy(about["judge_accuracy"])
    if warning:
        log.warning(f"WARNING: {warning}")
    about["dataset"] = data.name
    test = MnistDataset(data.test_csv, cache).images
    return JudgeMetrics(judge, test, data.channels, about=about, class_names=data.class_names)


def metric_samples(cfg: DictConfig, datamodule) -> int:
    """``metrics.samples``, or when null the dataset's own count (10,000; the papers' 26,000 on Stacked MNIST)."""
    return cfg.metrics.samples or datamodule.metric_samples
