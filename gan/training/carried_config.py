"""The config a checkpoint or run folder carries, read as data: nothing in it may run code or write elsewhere.

A run folder from elsewhere is data. Its config is handed to ``hydra.utils.instantiate``, which calls whatever
``_target_`` names, so before anything is built:

- every ``_target_``, at any depth, must be one the project ships in ``conf/`` (``shipped_targets``); anything
  else (``torch.load``, ``builtins.open``, ``numpy.load``, ...) is refused, naming the key and the target;
- a ``_target_`` inside another's arguments (nested instantiation) is refused the same way, even a shipped one:
  no shipped config nests one;
- paths that would make the run write outside its own folder: a callback's ``dirpath`` is refused; a
  ``metrics.judge`` that is not an existing file here is dropped (the dataset's own judge is used), and one that
  is is only read, never moved or replaced (gan/evaluation/judge.py).

A config saved by an older version of the project is brought up to date first, in one place (``up_to_date``):
classes named by the module they lived in before gan/ was regrouped are renamed (``MOVED_TARGETS``), and keys added
since are filled with the value that gives what that run did (``ADDED_KEYS``). The rest of the code reads every key
directly.
"""

import functools
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from gan.config import CONF_DIR, in_checkout
from gan.file_safety import UnsafeFileError
from gan.logs import log

# classes a run's config names by the module they lived in before gan/ was grouped into data/, models/, ...:
# a run trained then still loads and resumes
MOVED_TARGETS = {
    "gan.data.MnistDataModule": "gan.data.mnist.MnistDataModule",
    "gan.stacked.": "gan.data.stacked.",
    "gan.mixtures.": "gan.data.mixtures.",
    "gan.nets.": "gan.models.nets.",
    "gan.losses.": "gan.models.losses.",
    "gan.noise.": "gan.models.noise.",
    "gan.runs.": "gan.training.run_folders.",
    "gan.models.cures.": "gan.models.sampling_cures.",
}

# keys added after runs were first saved, each with the value that does what a run without it did
ADDED_KEYS = {
    "model.ema_decay": None,  # no moving average of G
    "max_updates": None,  # epochs alone decided
    "max_images": None,
    "penalty": None,  # no gradient penalty
    "schedule": None,  # a constant learning rate
    "metrics.truncation": None,  # samples measured as drawn
    "metrics.drs": False,
    "checkpoints.every_minutes": None,  # saved at epoch ends only
    "callbacks": {},  # none of the user's own
}


@functools.cache
def shipped_targets() -> frozenset[str]:
    """Every ``_target_`` that a YAML file under conf/ names: the only classes a carried config may build."""
    targets = set()
    for path in CONF_DIR.rglob("*.yaml"):
        _collect_targets(OmegaConf.to_container(OmegaConf.load(path), resolve=False), targets)
    return frozenset(targets)


def _collect_targets(node, targets: set) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "_target_" and isinstance(value, str):
                targets.add(value)
            else:
                _collect_targets(value, targets)
    elif isinstance(node, list):
        for value in node:
            _collect_targets(value, targets)


def _moved_target(target):
    for old, new in MOVED_TARGETS.items():
        if isinstance(target, str) and target.startswith(old):
            return new + target[len(old) :]
    return target


def _moved(node):
    if isinstance(node, dict):
        return {k: _moved_target(v) if k == "_target_" else _moved(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_moved(v) for v in node]
    return node


def up_to_date(container: dict) -> dict:
    """A carried config as this version of the project writes one: moved classes renamed, added keys filled in."""
    container = _moved(container)
    for key, value in ADDED_KEYS.items():
        *parents, name = key.split(".")
        node = container
        for parent in parents:
            node = node.setdefault(parent, {})
            if not isinstance(node, dict):  # not a config of this project: _check_targets says what it builds
                break
        else:
            node.setdefault(name, value)
    return container


def _check_targets(node, source: str, key: str = "", inside: str | None = None) -> None:
    """Refuse any ``_target_`` under ``node`` that conf/ does not ship, or that lies inside another's arguments."""
    if isinstance(node, dict):
        target = node.get("_target_")
        if target is not None:
            where = f"{key}._target_" if key else "_target_"
            if not isinstance(target, str) or target not in shipped_targets():
                raise UnsafeFileError(
                    f"{source}: not loaded, because its config names {where}={target!r}, which is not one of the "
                    "classes this project ships (conf/); a carried config may only build the project's own parts"
                )
            if inside is not None:
                raise UnsafeFileError(
                    f"{source}: not loaded, because its config builds {where}={target!r} inside the arguments of "
                    f"{inside}: no config of this project nests one part in another's arguments"
                )
        for name, value in node.items():
            if name != "_target_":
                child = f"{key}.{name}" if key else str(name)
                _check_targets(value, source, child, inside if target is None else (key or "the config"))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _check_targets(value, source, f"{key}[{i}]", inside)


def _check_paths(container: dict, source: str) -> None:
    """Refuse (or drop) the carried paths that would make a run write outside its run folder and data folder."""
    for name, callback in (container.get("callbacks") or {}).items():
        if isinstance(callback, dict) and callback.get("dirpath") is not None:
            raise UnsafeFileError(
                f"{source}: not loaded, because its config sets callbacks.{name}.dirpath={callback['dirpath']!r}: "
                "a carried config writes only into its own run folder (dirpath: null)"
            )
    metrics = container.get("metrics") or {}
    judge = metrics.get("judge")
    if judge is not None and not Path(str(judge)).is_file():
        log.warning(
            f"WARNING: {source} names metrics.judge={judge}, which is not a file here; a carried config may read a "
            "judge, never write one, so the dataset's own judge is used (data_dir/judges/)"
        )
        metrics["judge"] = None
    data = container.get("data") or {}
    old = data.get("data_dir")
    if isinstance(old, str) and not Path(old).is_dir():  # a run made elsewhere: its data folder is not here
        old, new = old.rstrip("/"), in_checkout("data")
        for key in ("data_dir", "train_csv", "test_csv"):
            value = data.get(key)
            if isinstance(value, str) and (value == old or value.startswith(old + "/")):
                data[key] = new + value[len(old) :]
        log.info(f"{source}: its data folder {old} is not here; this checkout's is used ({new})")


def carried_config(container: dict, source) -> DictConfig:
    """A config read from ``source`` (a checkpoint, a run's .hydra/config.yaml), checked before anything of it is
    built: ``UnsafeFileError`` for a target conf/ does not ship, a nested one, or a path outside the run."""
    if not isinstance(container, dict):
        raise UnsafeFileError(f"{source}: its config is not a mapping of keys ({type(container).__name__})")
    container = up_to_date(container)
    _check_targets(container, str(source))
    _check_paths(container, str(source))
    return OmegaConf.create(container)
