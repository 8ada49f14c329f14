"""Every config value checked before anything is downloaded or trained, each message naming its key."""

import functools
import os
import re

import torch
from hydra.utils import get_class, get_object
from omegaconf import DictConfig, OmegaConf

from gan.config import CONF_DIR, is_faithful
from gan.data.mixtures import MixtureDataModule
from gan.errors import ConfigError
from gan.models.information import refuse_unless_possible
from gan.models.losses import LogitLoss
from gan.models.nets import PointGenerator
from gan.rules import (
    COUNT,
    D_UPDATE,
    EMA_DECAY,
    EVERY_MINUTES,
    FINAL,
    FLOOR,
    LEAKY_SLOPE,
    MAX_GRID_SIDE,
    MAX_LATENT,
    MAX_METRIC_SAMPLES,
    MAX_WIDTH,
    OBJECTIVE,
    PLAIN_NAME,
    POSITIVE_INT,
    POSITIVE_NUMBER,
    SHAPE,
    STRENGTH,
    TRUNCATION,
    Rule,
    at_least,
    integer,
    optional,
    positive_number,
)

ACCELERATORS = ("auto", "cpu", "gpu", "cuda", "mps")  # Lightning's, less those this project is not built for (tpu)
SEED_RANGE = 2**32  # numpy's, and so Lightning's seed_everything's
MAX_TIME = re.compile(r"\d+:\d{1,2}:\d{1,2}:\d{1,2}")  # Lightning's max_time string: days:hours:minutes:seconds


def _grid(v) -> bool:
    return len(v) == 2 and all(integer(n) and 1 <= n <= MAX_GRID_SIDE for n in v)


WIDTH = Rule(lambda v: integer(v) and 1 <= v <= MAX_WIDTH, f"an integer in 1 .. {MAX_WIDTH:,}")
WIDTHS = Rule(
    lambda v: len(v) == 3 and all(WIDTH.test(w) for w in v),
    f"three widths (7x7, 14x14, 28x28 for G; 28x28, 14x14, 7x7 for D), each an integer in 1 .. {MAX_WIDTH:,}",
)
OPTIONAL_LIMIT = Rule(optional(at_least(1)), "an integer >= 1, or null for no limit")
# a switch takes true or false only (Hydra reads true/false/True/FALSE as booleans): any other text ("flase", "maybe")
# would count as true where Python tests it. tests/test_config_checks.py checks that every switch of conf/ is here.
BOOLEAN = Rule(lambda v: isinstance(v, bool), "true or false")
SWITCHES = (
    "metrics.enabled", "metrics.drs", "metrics.two_sample", "data.shuffle", "trainer.enable_progress_bar",
    "trainer.enable_model_summary",
    "model.generator.layer_norm", "model.discriminator.layer_norm", "model.generator.batch_norm",
    "model.discriminator.batch_norm", "model.discriminator.minibatch_std", "model.discriminator.spectral_norm",
)  # fmt: skip
# key -> its rule; a key a config does not have (e.g. a model without leaky_slope) is skipped. The rules a
# constructor also checks (POSITIVE_INT, EMA_DECAY, ...) live in gan/rules.py, once.
CHECKS = {
    "seed": Rule(lambda v: integer(v) and 0 <= v < SEED_RANGE, f"an integer in 0 .. {SEED_RANGE - 1}"),
    "threads": Rule(optional(at_least(1)), "an integer >= 1, or null"),
    "log_every": POSITIVE_INT,
    "sample_grid": Rule(_grid, f"[rows, cols], two integers in 1 .. {MAX_GRID_SIDE}"),
    "max_updates": OPTIONAL_LIMIT,
    "max_images": OPTIONAL_LIMIT,
    "optimizer.lr": POSITIVE_NUMBER,
    "optimizer.betas": Rule(
        lambda v: len(v) == 2 and all(isinstance(b, int | float) and not isinstance(b, bool) and 0 <= b < 1 for b in v),
        "[beta1, beta2], two numbers in [0, 1)",
    ),
    "trainer.accelerator": Rule(lambda v: v in ACCELERATORS, " or ".join(ACCELERATORS)),
    "model.latent_dim": Rule(lambda v: integer(v) and 1 <= v <= MAX_LATENT, f"an integer in 1 .. {MAX_LATENT:,}"),
    "model.generator.channels": WIDTH,
    "model.discriminator.channels": WIDTH,
    "model.generator.hidden_dim": WIDTH,
    "model.discriminator.hidden_dim": WIDTH,
    "model.generator.widths": WIDTHS,
    "model.discriminator.widths": WIDTHS,
    "model.generator.blocks": POSITIVE_INT,
    "model.discriminator.blocks": POSITIVE_INT,
    "model.discriminator.leaky_slope": LEAKY_SLOPE,
    "model.generator.leaky_slope": LEAKY_SLOPE,
    "model.pack": POSITIVE_INT,
    "model.generator.refine": COUNT,
    "model.discriminator.refine": COUNT,
    "model.ema_decay": EMA_DECAY,
    "model.d_update": D_UPDATE,
    "model.info_weight": Rule(optional(positive_number), "a finite number > 0, or null for none"),
    "data.batch_size": POSITIVE_INT,
    "data.chunk_size": POSITIVE_INT,
    "data.samples": POSITIVE_INT,
    "data.channels": POSITIVE_INT,
    "data.std": POSITIVE_NUMBER,
    "metrics.samples": Rule(
        optional(lambda v: integer(v) and 2 <= v <= MAX_METRIC_SAMPLES),
        f"an integer in 2 .. {MAX_METRIC_SAMPLES:,} (a Frechet distance needs a covariance), or null",
    ),
    "metrics.truncation": TRUNCATION,
    "metrics.objective": OBJECTIVE,
    "data.name": PLAIN_NAME,
    "checkpoints.every_minutes": EVERY_MINUTES,
    "trainer.max_epochs": Rule(optional(lambda v: integer(v) and (v == -1 or v >= 1)), "an integer >= 1, or -1"),
    "trainer.max_steps": Rule(optional(lambda v: integer(v) and (v == -1 or v >= 1)), "an integer >= 1, or -1"),
    "trainer.max_time": Rule(
        optional(lambda v: isinstance(v, str) and MAX_TIME.fullmatch(v) is not None),
        '"DD:HH:MM:SS" (e.g. "00:00:10:00"), or null',
    ),  # fmt: skip
    # manual optimization steps after every batch: Lightning neither accumulates nor clips for it
    "trainer.accumulate_grad_batches": Rule(
        lambda v: v == 1,
        "1: the GAN steps its optimizers after every batch (manual optimization); for more images per step "
        "raise data.batch_size instead",
    ),
    "trainer.gradient_clip_val": Rule(lambda v: v in (None, 0), "null: manual optimization does not clip gradients"),
    "penalty.r1": STRENGTH,
    "penalty.r2": STRENGTH,
    "penalty.gp": STRENGTH,
    "penalty.every": POSITIVE_INT,
    "penalty.floor": FLOOR,
    "schedule.shape": SHAPE,
    "schedule.final": FINAL,
    "trainer.deterministic": Rule(lambda v: isinstance(v, bool) or v == "warn", "true, false or warn (Lightning's)"),
    **dict.fromkeys(SWITCHES, BOOLEAN),
}
# Trainer flags the faithful batch-1 mode cannot honour (gan/models/faithful.py): it steps the raw optimizers,
# so Lightning's step counter, its batches (chunks of images there) and its precision plugin do not apply
FAITHFUL_REFUSES = {
    "trainer.max_steps": (lambda v: v in (None, -1), "use max_updates=N (or max_images=N)"),
    "trainer.limit_train_batches": (
        lambda v: v is None or isinstance(v, float),
        "a Lightning batch is a chunk of data.chunk_size images here: use max_updates=N, or a fraction",
    ),
    "trainer.precision": (lambda v: str(v) in ("32-true", "32"), "mixed precision needs batched updates"),
    "schedule.shape": (lambda v: v in (None, "constant"), "a schedule steps once per batched update"),
    "ramps": (lambda v: not v, "ramps apply once per batched update"),
    "model.d_update": (lambda v: v in (None, "split"), "model.d_update=split is the walkthrough's update"),
}
_ABSENT = object()


@functools.cache
def known_keys() -> frozenset[str]:
    """The top-level keys a training config has: conf/train.yaml's own and its config groups."""
    root = OmegaConf.load(CONF_DIR / "train.yaml")
    groups = {next(iter(d)) for d in root.defaults if isinstance(d, DictConfig)}
    return frozenset({*root.keys(), *(g.removeprefix("optional ") for g in groups)} - {"defaults", "hydra"})


def check_config(cfg: DictConfig, fresh: bool = True) -> None:
    """Reject a bad value before anything is downloaded or trained, naming its key. A ``fresh`` config (not one a
    run carried, which may predate a key's removal) may hold no top-level key that conf/train.yaml does not know."""
    unknown = sorted(set(cfg.keys()) - known_keys()) if fresh else []
    if unknown:
        raise ConfigError(
            f"{', '.join(unknown)}: not a key of this project's config (a typo, or a `+{unknown[0]}...=` it does not "
            "know); python scripts/train.py --cfg job lists every key"
        )
    check_values(cfg)
    _check_devices(cfg)


def check_values(cfg: DictConfig) -> None:
    """Every value rule of ``check_config`` but the machine's: a run's config loaded to generate or measure (a GPU
    run's config on a CPU machine too) is checked by these (gan/training/carried_config.py)."""
    for key, rule in CHECKS.items():
        value = OmegaConf.select(cfg, key, default=_ABSENT)
        if value is not _ABSENT:
            rule.check(key, value)
    if is_faithful(cfg):
        for key, (is_valid, instead) in FAITHFUL_REFUSES.items():
            value = OmegaConf.select(cfg, key, default=None)
            if not is_valid(value):
                raise ConfigError(
                    f"{key}={value} does not apply at data.batch_size=1: the faithful mode walks the walkthrough's "
                    f"loop itself (gan/models/faithful.py); {instead}, or train with data.batch_size > 1"
                )
    _check_arguments(cfg)
    _check_objective(cfg)
    _check_information(cfg)
    _check_data_and_model(cfg)
    names = OmegaConf.select(cfg, "data.class_names", default=None)
    if names is not None:
        repeated = sorted({str(n) for n in names if [str(m) for m in names].count(str(n)) > 1})
        if repeated:
            raise ConfigError(f"data.class_names repeats {', '.join(repeated)}: each class needs a name of its own")
    channels = OmegaConf.select(cfg, "data.channels", default=1)
    if channels > 1 and OmegaConf.select(cfg, "model.generator.classes", default=None) is not None:
        raise ConfigError(
            f"model=conditional draws one digit per image, but data.channels={channels} images stack several "
            "(Stacked MNIST): use an unconditional model"
        )


def _check_arguments(cfg: DictConfig) -> None:
    """Every key under a node that builds a class (``_target_``) must be an argument the class takes: a key it does not
    (``+model.generator.bogus=1``) is refused here, naming it, rather than by the constructor mid-build."""
    stack = [("", cfg)]
    while stack:
        key, node = stack.pop()
        if not isinstance(node, DictConfig):
            continue
        target = node.get("_target_") if "_target_" in node else None
        parameters = _signature(target) if isinstance(target, str) else None
        for name in node:
            child = f"{key}.{name}" if key else str(name)
            if parameters is not None and not str(name).startswith("_") and name not in parameters:
                raise ConfigError(
                    f"{child}: {target.rsplit('.', 1)[-1]} takes no argument {name!r} (it takes "
                    f"{', '.join(sorted(parameters)) or 'none'}); python scripts/train.py --cfg job lists every key"
                )
            stack.append((child, node[name]))


@functools.cache
def _signature(target: str) -> frozenset[str] | None:
    """The argument names of the class or function ``target``; None where any name is taken (``**kwargs``) or where
    there is no signature to read (an unknown target: instantiating it names the problem)."""
    import inspect

    try:
        parameters = inspect.signature(get_object(target)).parameters
    except (ImportError, ValueError, TypeError, AttributeError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return None
    return frozenset(parameters)


def _target_class(cfg: DictConfig, key: str):
    target = OmegaConf.select(cfg, f"{key}._target_", default=None)
    try:
        return None if target is None else get_class(target)
    except (ImportError, ValueError):  # not a class: instantiating it names the problem
        return None


def _check_data_and_model(cfg: DictConfig) -> None:
    """2D points and images need their own networks: refuse a pair that would fail on a shape mid-run."""
    data, generator = _target_class(cfg, "data"), _target_class(cfg, "model.generator")
    if data is None or generator is None:
        return
    points_data, points_model = issubclass(data, MixtureDataModule), issubclass(generator, PointGenerator)
    if points_data and OmegaConf.select(cfg, "metrics.two_sample", default=False):
        raise ConfigError("metrics.two_sample=true reads images: on a 2D mixture the modes are counted instead")
    if points_data != points_model:
        name = OmegaConf.select(cfg, "data.name", default=data.__name__)
        raise ConfigError(
            f"data={name} holds {'2D points' if points_data else 'images'}, but model's generator "
            f"({generator.__name__}) draws {'2D points' if points_model else 'images'}: use model=mlp2d with "
            "data=ring8 or grid25, and an image model (baseline, improved, conditional, dcgan) with image data"
        )


def _check_information(cfg: DictConfig) -> None:
    """InfoGAN's term (model.info_weight) reads a coded noise back from D's features, in the update on logits."""
    weight = OmegaConf.select(cfg, "model.info_weight", default=None)
    noise, loss = _target_class(cfg, "noise"), _target_class(cfg, "loss")
    if weight is None or noise is None or loss is None:  # an unknown class: instantiating it names the problem
        return
    conditional = OmegaConf.select(cfg, "model.generator.classes", default=None) is not None
    pack = OmegaConf.select(cfg, "model.pack", default=1)
    refuse_unless_possible(weight, noise, issubclass(loss, LogitLoss), conditional, pack)


def _check_devices(cfg: DictConfig) -> None:
    """The accelerator and device count must exist on this machine (else Lightning fails inside its own setup)."""
    accelerator = str(OmegaConf.select(cfg, "trainer.accelerator", default="auto"))
    devices = OmegaConf.select(cfg, "trainer.devices", default="auto")
    if accelerator in ("gpu", "cuda") and not torch.cuda.is_available():
        raise ConfigError(f"trainer.accelerator={accelerator}: this machine has no GPU that torch can use; use cpu")
    if devices in ("auto", -1, "-1", None):
        return
    gpus = torch.cuda.device_count() if accelerator in ("gpu", "cuda", "auto") else 0
    available = gpus or os.cpu_count() or 1  # CPU devices are processes, one core each at least
    if not (integer(devices) and 1 <= devices <= available):
        where = f"{gpus} GPU(s)" if gpus else f"{available} CPU core(s)"
        raise ConfigError(f"trainer.devices={devices} is invalid: this machine has {where}; use 1 .. {available}")


def _check_objective(cfg: DictConfig) -> None:
    """A loss on D's logits pairs a real and a fake batch in one D step: batched only; a penalty needs one."""
    target = OmegaConf.select(cfg, "loss._target_", default=None)
    loss = _target_class(cfg, "loss")
    if loss is None:
        return
    on_logits = issubclass(loss, LogitLoss)
    if on_logits and is_faithful(cfg):
        raise ConfigError(
            f"loss={target.rsplit('.', 1)[-1]} takes D's logits on a real and a fake batch in one step; the faithful "
            "mode (data.batch_size=1) is the walkthrough's three steps on D's probability: use loss=mse or bce, "
            "or train with data.batch_size > 1"
        )
    strengths = {k: OmegaConf.select(cfg, f"penalty.{k}", default=0) for k in ("r1", "r2", "gp")}
    _check_ramps(cfg, strengths)
    precision = str(OmegaConf.select(cfg, "trainer.precision", default="32-true"))
    if any(strengths.values()) and precision in ("16", "16-mixed", "16-true"):
        raise ConfigError(
            f"trainer.precision={precision} with a gradient penalty: the penalty's input gradients "
            "(torch.autograd.grad) are taken outside the float16 loss scaler and can underflow to 0; use "
            "trainer.precision=bf16-mixed (no scaler) or 32-true"
        )
    if any(strengths.values()) and not on_logits:
        on = ", ".join(f"penalty.{k}={v}" for k, v in strengths.items() if v)
        raise ConfigError(
            f"{on} needs a loss on D's logits (loss=nonsaturating, hinge, wgan or rpgan); loss={target} compares "
            "D's probability with a target, in the walkthrough's three steps"
        )


def _check_ramps(cfg: DictConfig, strengths: dict) -> None:
    """R3GAN's ramps (``ramps``) set their hyperparameter themselves: a second setter beside one is refused."""
    ramps = OmegaConf.select(cfg, "ramps", default=None)
    if not ramps:
        return
    shape = OmegaConf.select(cfg, "schedule.shape", default="constant")
    if ramps.get("lr") is not None and shape != "constant":
        raise ConfigError(
            f"ramps.lr sets the learning rate itself: schedule={shape} would fight it; use schedule=constant"
        )
    if ramps.get("gamma") is not None and shape != "constant":
        raise ConfigError(  # the penalties follow `schedule` too (Penalty.strength): gamma would decay twice
            f"ramps.gamma ramps R1's and R2's strength itself: schedule={shape} would decay it a second time; "
            "use schedule=constant (or ramps.gamma=null)"
        )
    if ramps.get("beta2") is not None and "Adam" not in str(OmegaConf.select(cfg, "optimizer._target_")):
        raise ConfigError("ramps.beta2 ramps Adam's beta2: use an Adam optimizer (optimizer=adam), or ramps.beta2=null")
    if ramps.get("gamma") is not None and not (strengths["r1"] or strengths["r2"]):
        raise ConfigError("ramps.gamma ramps the strength of R1 and R2: switch them on (penalty=r1_r2)")
    ema_decay = OmegaConf.select(cfg, "model.ema_decay", default=None)
    if ramps.get("ema_half_life") is not None and ema_decay is not None:
        raise ConfigError(  # a fixed decay would win, and the ramp be ignored without a word
            f"ramps.ema_half_life sets the EMA's decay itself: model.ema_decay={ema_decay} would fight it; use "
            "model.ema_decay=null (or ramps.ema_half_life=null to keep the fixed decay)"
        )


def torch_threads(threads: int | None, batch_size: int) -> int | None:
    """The ``threads`` rule, for every script: the value given; if null, 1 at batch size 1 (tiny operations,
    where more threads only add overhead), else None (torch's default)."""
    return threads or (1 if batch_size == 1 else None)
