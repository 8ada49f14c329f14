"""The training config: composed in plain Python (tests, benchmarks, notebooks) as scripts/train.py would, and the
facts about it that more than one layer reads."""

from pathlib import Path

from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf

from gan.errors import ConfigError

CHECKOUT = Path(__file__).resolve().parents[1]  # conf/ and the default data/ sit beside the package
CONF_DIR = CHECKOUT / "conf"
# keys that do not change a run's result: left out of its folder name (gan.training.run_folders.run_name) and
# of a sweep report's columns (gan.evaluation.sweep_report)
UNNAMED_KEYS = {"resume", "sweep", "+sweep", "threads", "metrics.samples", "trainer.enable_progress_bar"}


def is_faithful(cfg) -> bool:
    """Does ``cfg`` train in the faithful mode, the walkthrough's loop of one image per update (models/faithful.py)?"""
    return faithful_batch(cfg.data.batch_size)


def faithful_batch(batch_size: int) -> bool:
    """Is ``batch_size`` the faithful mode's: one image per update, walked in chunks (``is_faithful``)?"""
    return batch_size == 1


def in_checkout(path: str) -> str:
    """``${checkout:data}``: a folder of this checkout, whatever the working directory. The downloaded data, its
    cache and the judges are made once per checkout, not once per folder a command is started from."""
    return str(CHECKOUT / path)


def register_checkout() -> None:
    OmegaConf.register_new_resolver("checkout", in_checkout, replace=True)


register_checkout()  # on import: every config of this project, composed or loaded from a run, may name it


def check_experiments(value) -> None:
    """``experiment=NAME`` (or a sweep's list of names) must name files of conf/experiment/: the group is optional,
    and Hydra would otherwise train the defaults, silently, into a folder named after the typo."""
    value = getattr(value, "list", value)  # a sweep: experiment=a,b
    names = value if isinstance(value, list | tuple) else [value]
    missing = [str(n) for n in names if n is not None and not (CONF_DIR / "experiment" / f"{n}.yaml").is_file()]
    if missing:
        known = ", ".join(sorted(p.stem for p in (CONF_DIR / "experiment").glob("*.yaml")))
        raise ConfigError(f"experiment={missing[0]}: no such experiment in conf/experiment/ (there: {known})")


def compose(*overrides: str, config_name: str = "train"):
    for override in overrides:
        key, _, value = override.partition("=")
        if key.lstrip("+~") == "experiment":
            check_experiments(value.strip("[]").split(","))
    if GlobalHydra.instance().is_initialized():  # inside scripts/train.py's @hydra.main, whose config dir is conf/
        return hydra_compose(config_name, overrides=list(overrides))
    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        return hydra_compose(config_name, overrides=list(overrides))
