"""The config a checkpoint or run folder carries, read as data: a record of choices and values, never a program and
never a source of paths.

A run folder from elsewhere is data. Its config is not trusted, resolved or instantiated as it is; it is rebuilt:

1. **Choices.** Each config group's option is recognised from the class the carried config names there (and, for a
   dataset, what it downloads and its name): ``model=dcgan``, ``loss=rpgan``, ... A class no option of conf/ builds
   is refused.
2. **Compose.** The config is composed from this checkout's ``conf/`` with those choices, as ``train.py`` would.
3. **Values.** From the carried config only plain values are taken (numbers, strings, booleans, lists), for keys
   of the composed config, and for arguments its classes take that conf/ leaves at their defaults
   (``+trainer.X=...``); any other key is left out, with a warning. Refused, naming the key: a ``_target_`` (or
   any ``_``-key) that differs from the composed one; an interpolation or resolver call (``${...}``), except, in a
   run folder's ``.hydra/config.yaml`` (which Hydra writes unresolved), a plain reference to another key or the
   text conf/ itself has there; a mapping where a value belongs or the reverse.
4. **Paths from here.** The data folder, what is downloaded and from where, come from this checkout (``FROM_HERE``);
   a carried CSV is only read (a dataset that downloads nothing); a callback writes only into the run's own
   checkpoints/ under a plain file name; a ``metrics.judge`` that is not an existing file here is dropped.
5. **The same rules as train.** Every value rule ``train`` applies (gan/training/config_checks.py) runs on the
   result: the NAME rule, bounds, types.

Classes named by the module they lived in before gan/ was regrouped are renamed first (``MOVED_TARGETS``); keys a
run saved before they existed take conf/'s default, which does what that run did.
"""

import functools
import inspect
import re
from pathlib import Path

import yaml
from hydra.utils import get_object
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from gan.config import CONF_DIR, compose
from gan.errors import ConfigError
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

# keys added to conf/ since some runs were saved, whose conf/ default does not do what those runs did: the value such a
# run (its carried config without the key) trained with. model=dcgan's DCGAN update came after its runs split D's step
RAN_WITHOUT = {("model", "d_update"): "split"}

# keys whose value always comes from this checkout, never from a carried config: where data is kept, what is
# downloaded into it and from where, and what a resume continues (the command's own resume=)
FROM_HERE = {"data.data_dir", "data.download", "data.mirrors", "resume"}
# a dataset that downloads nothing (data=csv) reads the CSVs its run named; one that downloads writes them, so
# its CSVs are this checkout's
CSV_KEYS = {"data.train_csv", "data.test_csv"}
# the groups a carried config's choices are recognised in, and the key (under the group's node) that names the class
GROUPS = ("data", "loss", "penalty", "optimizer", "schedule", "ramps", "noise", "trainer")
MAX_DEPTH = 32  # no config of this project nests deeper than 5; a deeper one is refused before any recursion
# no config of this project has more than about 400 values; every walk over a carried one counts what it visits, so a
# YAML alias bomb or a pickle that shares one list many times (10**10 paths in a few hundred bytes) is refused at once
MAX_NODES = 20_000
# a callback's file name: letters, digits and Lightning's {metric} fields; no folders
FILE_NAME = re.compile(r"[A-Za-z0-9_{}=.+-]+")
# a plain reference to another key, as Hydra's .hydra/config.yaml holds them: ${seed}, ${..latent_dim}
REFERENCE = re.compile(r"\$\{(\.*[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\}")


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


def _check_size(container, source: str) -> None:
    """Refuse a config nested deeper than ``MAX_DEPTH`` or with more than ``MAX_NODES`` values counted along every
    path (a node shared by aliases counts once per path, as every later walk would visit it), walking it without
    recursion (a RecursionError otherwise). Every other walk over a carried config comes after this one."""
    stack, visited = [(container, 1)], 0
    while stack:
        node, depth = stack.pop()
        visited += 1
        if depth > MAX_DEPTH:
            raise UnsafeFileError(f"{source}: its config nests deeper than {MAX_DEPTH} levels: not this project's")
        if visited > MAX_NODES:
            raise UnsafeFileError(
                f"{source}: its config holds more than {MAX_NODES:,} values (counted along every path, shared ones "
                "too, as in a YAML alias bomb): not this project's"
            )
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


# --- 1. choices ------------------------------------------------------------------------------------------------


def _option(group: str, name: str) -> dict:
    """An option's YAML (a group's file), merged over the sibling options it names in its defaults list."""
    raw = yaml.safe_load((CONF_DIR / group / f"{name}.yaml").read_text()) or {}
    merged: dict = {}
    for parent in raw.pop("defaults", []) or []:
        if isinstance(parent, str) and parent != "_self_" and (CONF_DIR / group / f"{parent}.yaml").is_file():
            merged.update(_option(group, parent))
    return merged | raw


@functools.cache
def _options(group: str) -> dict[str, dict]:
    return {path.stem: _option(group, path.stem) for path in sorted((CONF_DIR / group).glob("*.yaml"))}


def _target_at(node: dict, *keys: str):
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node.get("_target_") if isinstance(node, dict) else None


def _choose(group: str, carried: dict, source: str, default: str) -> str:
    """The option of ``group`` that builds the class the carried node names; among several, the one that agrees
    most (for a dataset: what it downloads, then its name; then the most keys in common and the fewest missing; then
    the most plain values), the default first."""
    path = ("model", "generator") if group == "model" else ()
    options = _options(group)
    wanted = _target_at(carried, *path) if path else carried.get("_target_")
    if group == "model":
        wanted = (wanted, _target_at(carried, "model", "discriminator"))
        found = {n: (_target_at(o, *path), _target_at(o, "model", "discriminator")) for n, o in options.items()}
    else:
        found = {n: o.get("_target_") for n, o in options.items()}
    if any(t is not None and not isinstance(t, str) for t in (wanted if group == "model" else (wanted,))):
        raise UnsafeFileError(f"{source}: its config's {group} names a class by something not a name: {wanted!r}")
    if wanted in (None, (None, None)):
        return default
    matches = [n for n, target in found.items() if target == wanted]
    if not matches:
        where, wanted = group, wanted
        if group == "model":  # name the network no option builds (or, if each alone is, the pair)
            generators, discriminators = {g for g, _ in found.values()}, {d for _, d in found.values()}
            where, wanted = (
                ("model.generator", wanted[0]) if wanted[0] not in generators
                else ("model.discriminator", wanted[1]) if wanted[1] not in discriminators else ("model", wanted)
            )  # fmt: skip
        raise UnsafeFileError(
            f"{source}: not loaded, because its config names {where}._target_={wanted!r}, which no option of "
            f"conf/{group}/ builds; a carried config may only build the project's own parts"
        )
    node = carried if group != "model" else carried.get("model", {})

    def agreement(name: str):
        option = options[name] if group != "model" else options[name].get("model", {})
        same = sum(1 for k, v in option.items() if not isinstance(v, dict) and node.get(k) == v)
        same_data = (option.get("download") == node.get("download"), option.get("name") == node.get("name"))
        # the same keys next: ramps=r3gan and ramps=lr build one class, and only their keys tell them apart
        same_keys = (sum(k in option for k in node), -sum(k not in node for k in option))
        return (*same_data, *same_keys, same, name == default)

    return max(matches, key=agreement)


def _callback_choices(carried, source: str) -> list[str]:
    """The conf/callbacks/ options whose callbacks the carried config holds, by name."""
    if carried in (None, {}):
        return []
    if not isinstance(carried, dict):
        raise UnsafeFileError(f"{source}: its config's callbacks are not a mapping of names ({type(carried).__name__})")
    shipped = {name: option for option in _options("callbacks").values() for name in option}
    unknown = sorted(set(carried) - set(shipped))
    if unknown:
        raise UnsafeFileError(
            f"{source}: not loaded, because its config adds callbacks.{unknown[0]}, which conf/callbacks/ does not "
            f"ship (its callbacks: {', '.join(sorted(shipped))})"
        )
    return sorted(carried)


def choices(carried: dict, source: str) -> list[str]:
    """The overrides that compose the config a carried one was made from: ``data=mnist``, ``model=dcgan``, ..."""
    defaults = {
        next(iter(d)): next(iter(d.values())) for d in yaml.safe_load((CONF_DIR / "train.yaml").read_text())["defaults"]
        if isinstance(d, dict)
    }  # fmt: skip
    overrides = []
    for group in (*GROUPS, "model"):
        node = carried if group == "model" else carried.get(group)
        if node is None:
            continue
        if not isinstance(node, dict):
            _plain(node, group, source, references=False)  # an interpolation is named as one
            raise UnsafeFileError(f"{source}: its config's {group} is not a mapping of keys ({type(node).__name__})")
        overrides.append(f"{group}={_choose(group, node, source, defaults[group])}")
    callbacks = _callback_choices(carried.get("callbacks"), source)
    if callbacks:
        overrides.append(f"callbacks=[{','.join(callbacks)}]")
    return overrides


# --- 3. values ---------------------------------------------------------------------------------------------------


def _plain(value, key: str, source: str, references: bool):
    """``value`` if it is plain data (no interpolation, resolver call or ``_``-key at any depth); else refused."""
    if isinstance(value, dict):
        for name in value:
            if str(name).startswith("_"):
                raise UnsafeFileError(
                    f"{source}: not loaded, because its config sets {key}.{name}={value[name]!r}, which conf/ does "
                    "not: a carried config gives values, never what to build or how"
                )
        return {name: _plain(v, f"{key}.{name}", source, references) for name, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, f"{key}[{i}]", source, references) for i, v in enumerate(value)]
    if isinstance(value, str) and "${" in value:
        # only a whole value that is one reference (${seed}): with text around it, a reference would splice a
        # carried value into new text (`$${key}` makes `${...}` of a key holding `{oc.create:...}`)
        if not (references and REFERENCE.fullmatch(value)):
            raise UnsafeFileError(
                f"{source}: not loaded, because its config sets {key}={value[:80]!r}: an interpolation or resolver "
                "call; a carried config gives values, never expressions"
                + (" (a reference may only be a whole value, ${key})" if references and "$" in value else "")
            )
    elif not isinstance(value, str | int | float | bool | type(None)):
        raise UnsafeFileError(f"{source}: its config's {key} is a {type(value).__name__}, not a plain value")
    return value


def _overlay(ours, theirs, key: str, source: str, references: bool):
    """The composed node ``ours`` with the carried plain values of ``theirs`` in place of its own."""
    if theirs is None and isinstance(ours, dict):  # a part an older run left out (penalty: null): conf/'s default
        return ours
    if not (isinstance(ours, dict) and isinstance(theirs, dict)):
        if isinstance(ours, dict) or (isinstance(theirs, dict) and ours is not None):
            raise UnsafeFileError(
                f"{source}: its config's {key} is {'a mapping' if isinstance(theirs, dict) else 'a value'}, "
                f"where this project's config has {'a mapping' if isinstance(ours, dict) else 'a value'}"
            )
        return ours if theirs == ours else _plain(theirs, key, source, references)  # conf/'s own text is ours
    rebuilt = dict(ours)
    for name, value in theirs.items():
        child = f"{key}.{name}" if key else str(name)
        if child in FROM_HERE:
            continue
        if str(name).startswith("_"):
            if name not in ours or value != ours[name]:
                raise UnsafeFileError(
                    f"{source}: not loaded, because its config sets {child}={value!r}, where this project's conf/ "
                    f"has {ours.get(name)!r}: a carried config gives values, never what to build or how"
                )
            continue
        if name in ours and value is None and _optional_part(ours.get("_target_"), str(name)):
            rebuilt[name] = None  # switched off in the run (ramps.lr=null): it stays off, not conf/'s part
        elif name in ours:
            rebuilt[name] = _overlay(ours[name], value, child, source, references)
        elif _takes(ours.get("_target_"), str(name)):  # an argument conf/ leaves at its default: +trainer.X=...
            rebuilt[name] = _plain(value, child, source, references)
        else:  # nothing would read it: a key since removed, or one no class here takes
            _plain(value, child, source, references)
            log.warning(f"WARNING: {source} sets {child}, which this checkout's config does not have: left out")
    for name in ours.keys() - theirs.keys():  # deleted in the run (~ramps.lr): an optional part stays out
        if isinstance(ours[name], dict) and _optional_part(ours.get("_target_"), str(name)):
            rebuilt[name] = None
    return rebuilt


@functools.cache
def _parameters(target: str | None) -> dict[str, inspect.Parameter]:
    """The arguments of the class (or function) conf/ names as ``target``; none where there is no signature."""
    if target is None:
        return {}
    try:
        return dict(inspect.signature(get_object(target)).parameters)
    except (ImportError, ValueError, TypeError):  # not importable here, or no signature to read
        return {}


def _optional_part(target: str | None, name: str) -> bool:
    """Is ``name`` a part that one of this project's classes (``target``) builds from a node of its own and leaves
    out at None (``Ramps(lr=None)``)? A run that nulled or deleted it ran without it, so conf/'s part must not
    come back when the run is loaded or resumed."""
    parameter = _parameters(target).get(name) if target and target.startswith("gan.") else None
    return parameter is not None and parameter.default is None


def _takes(target: str | None, name: str) -> bool:
    """Does the class (or function) conf/ names as ``target`` take an argument ``name``?"""
    parameters = _parameters(target)
    return name in parameters or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())


# --- 4. paths ----------------------------------------------------------------------------------------------------


def _paths_from_here(rebuilt: dict, carried: dict, composed: dict, source: str) -> None:
    data, theirs = rebuilt.get("data") or {}, carried.get("data") or {}
    for key in CSV_KEYS:
        name = key.split(".")[1]
        if name in composed["data"] and (data.get("download") is not None or not isinstance(theirs.get(name), str)):
            data[name] = composed["data"].get(name)  # downloaded into this checkout's data folder
    for name, callback in (rebuilt.get("callbacks") or {}).items():
        if callback.get("dirpath") is not None:
            raise UnsafeFileError(
                f"{source}: not loaded, because its config sets callbacks.{name}.dirpath={callback['dirpath']!r}: "
                "a carried config writes only into its own run folder (dirpath: null)"
            )
        filename = callback.get("filename")
        if filename is not None and (
            not isinstance(filename, str) or not FILE_NAME.fullmatch(filename) or ".." in filename
        ):
            raise UnsafeFileError(
                f"{source}: not loaded, because its config sets callbacks.{name}.filename={filename!r}: a callback "
                "writes into the run's own checkpoints/ under a plain file name (letters, digits, _ . + - = {})"
            )
    metrics = rebuilt.get("metrics") or {}
    judge = metrics.get("judge")
    if judge is not None and not Path(str(judge)).is_file():
        log.warning(
            f"WARNING: {source} names metrics.judge={judge}, which is not a file here; a carried config may read a "
            "judge, never write one, so the dataset's own judge is used (data_dir/judges/)"
        )
        metrics["judge"] = None


def _as_it_ran(rebuilt: dict, carried: dict) -> None:
    """A key of ``RAN_WITHOUT`` that the carried config lacks takes the value its run trained with, not conf/'s."""
    for path, value in RAN_WITHOUT.items():
        theirs, ours = carried, rebuilt
        for part in path[:-1]:
            theirs, ours = (node.get(part) if isinstance(node, dict) else None for node in (theirs, ours))
        if isinstance(theirs, dict) and isinstance(ours, dict) and path[-1] not in theirs and path[-1] in ours:
            ours[path[-1]] = value


def _refuse_text_that_parses_again(resolved: dict, source: str) -> None:
    """Refuse a resolved config in which any string holds ``${``: made into a config, that text would be parsed as an
    expression a second time (an escaped ``\\${`` or spliced text resolves to one). A carried config cannot make one
    (``_plain``); this makes sure of it whatever the route."""
    stack = [("", resolved)]
    while stack:
        key, node = stack.pop()
        if isinstance(node, dict):
            stack.extend((f"{key}.{name}" if key else str(name), value) for name, value in node.items())
        elif isinstance(node, list):
            stack.extend((f"{key}[{i}]", value) for i, value in enumerate(node))
        elif isinstance(node, str) and "${" in node:
            raise UnsafeFileError(
                f"{source}: not loaded, because its config's {key} resolves to {node[:80]!r}, text that would be "
                "read as an expression again; a carried config gives values, never expressions"
            )


def carried_config(container: dict, source, references: bool = False) -> DictConfig:
    """The config read from ``source`` (a checkpoint, or with ``references`` a run's .hydra/config.yaml), rebuilt
    from this checkout's conf/ (above) and checked by train's value rules; ``UnsafeFileError`` (one line, naming the
    key) for anything that is not plain data of this project's config."""
    from gan.training.config_checks import check_values

    source = str(source)
    if not isinstance(container, dict):
        raise UnsafeFileError(f"{source}: its config is not a mapping of keys ({type(container).__name__})")
    _check_size(container, source)
    carried = _moved(container)
    composed = OmegaConf.to_container(compose(*choices(carried, source)), resolve=False)
    rebuilt = _overlay(composed, carried, "", source, references)
    _as_it_ran(rebuilt, carried)
    _paths_from_here(rebuilt, carried, composed, source)
    try:
        resolved = OmegaConf.to_container(OmegaConf.create(rebuilt), resolve=True)
    except OmegaConfBaseException as error:  # a reference to a key the config does not have
        raise UnsafeFileError(f"{source}: its config does not resolve: {str(error).splitlines()[0]}") from None
    _refuse_text_that_parses_again(resolved, source)
    cfg = OmegaConf.create(resolved)  # holds no "${" (checked above): nothing in it is parsed as an expression
    try:
        check_values(cfg)
    except ConfigError as error:
        raise ConfigError(f"{source}: {error}") from None
    return cfg
