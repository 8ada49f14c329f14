"""Compare the runs of a sweep: a Markdown table and a PNG of their loss curves and metrics."""

import csv
import html
import json
import re
import urllib.parse
from pathlib import Path

import yaml
from matplotlib.figure import Figure

from gan.config import UNNAMED_KEYS
from gan.evaluation.judge import untrustworthy
from gan.file_safety import atomic_path

METRICS = ("modes", "kl", "confident", "judge_fd")
FIDELITY_DIVERSITY = ("precision", "recall", "density", "coverage")


# What a run folder's files may hold, read as untrusted data: a file that is damaged or crafted marks its run as
# "damaged: <file> (<why>)", and the other runs are reported as usual
_SUMMARY_NUMBERS = ("updates", "images", "fit_seconds", "final_d_loss", "final_g_loss")


class _Damaged(Exception):
    """A file of a run folder that does not hold what this project writes there."""


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _checked_metrics(metrics, where: str) -> dict:
    """``metrics`` if it maps names to numbers, or (class shares, blends) to mappings of numbers; else ``_Damaged``."""

    def plain(value) -> bool:
        return _is_number(value) or (isinstance(value, dict) and all(_is_number(v) for v in value.values()))

    if not isinstance(metrics, dict) or not all(plain(v) for v in metrics.values()):
        raise _Damaged(f"summary.json ({where} is not a mapping of numbers)")
    return metrics


def _checked_summary(summary) -> dict:
    """``summary`` if it has the shape summary.json has (numbers where numbers belong); else ``_Damaged``."""
    if not isinstance(summary, dict):
        raise _Damaged("summary.json (not a mapping)")
    for key in _SUMMARY_NUMBERS:
        if summary.get(key) is not None and not _is_number(summary[key]):
            raise _Damaged(f"summary.json ({key} is not a number)")
    if summary.get("metrics") is not None:
        _checked_metrics(summary["metrics"], "metrics")
    history = summary.get("metrics_per_epoch")
    if history is not None and not isinstance(history, list):
        raise _Damaged("summary.json (metrics_per_epoch is not a list)")
    for h in history or []:
        _checked_metrics(h, "an epoch's metrics")
    judge = summary.get("judge")
    if judge is not None and not (isinstance(judge, dict) and _is_number(judge.get("judge_accuracy", 0.0))):
        raise _Damaged("summary.json (judge is not a mapping with a numeric judge_accuracy)")
    if not isinstance(summary.get("dataset", ""), str | type(None)):
        raise _Damaged("summary.json (dataset is not a name)")
    return summary


def _read_overrides(run_dir: Path) -> dict:
    try:
        overrides = yaml.safe_load((run_dir / ".hydra" / "overrides.yaml").read_text()) or []
    except (yaml.YAMLError, UnicodeDecodeError, OSError) as error:
        raise _Damaged(f".hydra/overrides.yaml ({type(error).__name__})") from None
    if not isinstance(overrides, list) or not all(isinstance(o, str) for o in overrides):
        raise _Damaged(".hydra/overrides.yaml (not a list of overrides)")
    return dict(o.lstrip("+~").split("=", 1) for o in overrides if "=" in o)


def _read_progress(run_dir: Path) -> dict[str, list]:
    progress: dict[str, list] = {"D": [], "G": []}
    if not (run_dir / "progress.csv").is_file():
        return progress
    try:
        with open(run_dir / "progress.csv") as f:
            for row in csv.DictReader(f):
                progress[row["network"]].append((int(row["update"]), float(row["loss"])))
    except (KeyError, ValueError, TypeError, UnicodeDecodeError, csv.Error) as error:
        raise _Damaged(f"progress.csv ({type(error).__name__})") from None
    return progress


def _read_status(run_dir: Path) -> dict:
    if not (run_dir / "status.json").is_file():
        return {}
    try:
        ended = json.loads((run_dir / "status.json").read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise _Damaged(f"status.json ({type(error).__name__})") from None
    if not isinstance(ended, dict):
        raise _Damaged("status.json (not a mapping)")
    return ended


def read_run(run_dir: Path) -> dict:
    """One run's overrides, summary (None while running, after a failure or when damaged) and recorded losses."""
    try:
        return _read_run(run_dir)
    except _Damaged as damage:  # reported as such; the sweep's other runs are not held back
        return {"dir": run_dir, "overrides": {}, "config": {}, "summary": None, "progress": {"D": [], "G": []},
                "status": f"damaged: {damage}"}  # fmt: skip


def _read_run(run_dir: Path) -> dict:
    pairs = _read_overrides(run_dir)
    summary_path = run_dir / "summary.json"
    summary, unreadable = None, None
    if summary_path.is_file():
        try:
            summary = json.loads(summary_path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as error:  # damaged: report the others, mark this one
            unreadable = f"unreadable summary.json ({error})"
        if summary is not None:
            try:
                summary = _checked_summary(summary)
            except _Damaged as damage:
                summary, unreadable = None, f"unreadable {damage}"
    progress = _read_progress(run_dir)
    has_checkpoint = (run_dir / "checkpoints" / "last.ckpt").is_file()
    ended = _read_status(run_dir)
    if unreadable:
        status = unreadable
    elif ended.get("status") == "failed":  # written by scripts/train.py when a job fails, with its error
        status = f"failed: {ended.get('error')}"
    elif summary:
        status = "done"
    elif ended.get("status") == "interrupted":
        status = "interrupted (resume it from its checkpoint)"
    else:
        status = "stopped or running (has a checkpoint)" if has_checkpoint else "running, or killed before training"
    config = None
    if (run_dir / ".hydra" / "config.yaml").is_file():
        try:  # plain YAML: nothing resolved, nothing run
            config = yaml.safe_load((run_dir / ".hydra" / "config.yaml").read_text())
        except (yaml.YAMLError, UnicodeDecodeError):  # damaged: its values show as blanks, the report goes on
            config = None
    return {
        "dir": run_dir,
        "overrides": pairs,
        "config": config if isinstance(config, dict) else {},
        "summary": summary,
        "progress": progress,
        "status": status,
    }


def read_sweep(sweep_dir) -> list[dict]:
    """Every run folder (one holding .hydra/overrides.yaml) under ``sweep_dir``, in name order."""
    return [read_run(p.parent.parent) for p in sorted(Path(sweep_dir).glob("*/.hydra/overrides.yaml"))]


_MARKUP = re.compile(r"([\\|\[\]`*])")


def cell(text) -> str:
    """``text`` as one Markdown table cell that shows as written: on one line, HTML as text (``<script>`` does not
    run, ``<img src=...>`` loads nothing), and no ``|`` that would split the row or ``[...]`` that would link."""
    one_line = " ".join(str(text).split())
    return _MARKUP.sub(r"\\\1", html.escape(one_line, quote=False))


def setting(run: dict, key: str) -> str:
    """``key``'s value in ``run``: its override, else what its config held (a run that took the preset's value
    says so, not a blank), else empty."""
    if key in run["overrides"]:
        return run["overrides"][key]
    node = run.get("config", {})
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return ""
        node = node[part]
    return "" if isinstance(node, (dict, list)) or node is None else str(node)


def varying_keys(runs: list[dict]) -> list[str]:
    keys = sorted({k for run in runs for k in run["overrides"]} - UNNAMED_KEYS)  # they say nothing about the result
    return [k for k in keys if len({run["overrides"].get(k) for run in runs}) > 1] or keys


def _quality(metrics: dict) -> str | None:
    """The share of good samples: the judge's confident share on images, the high-quality share on 2D mixtures."""
    return next((k for k in ("confident", "high_quality") if k in metrics), None)


def _number(value, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _dataset_cell(summary: dict) -> str:
    """The dataset and its judge's accuracy, flagged loudly when the judge is below the floor."""
    judge = summary.get("judge") or {}
    if "judge_accuracy" not in judge:
        return cell(summary.get("dataset") or "-")
    flag = " **UNTRUSTWORTHY**" if untrustworthy(judge["judge_accuracy"]) else ""
    return f"{cell(summary.get('dataset'))} ({judge['judge_accuracy']:.1%}){flag}"


def markdown_table(runs: list[dict], link_samples_from: Path | None = None) -> str:
    keys = varying_keys(runs)
    two_sampled = any("two_sample" in ((run["summary"] or {}).get("metrics") or {}) for run in runs)
    header = [
        *keys,
        "dataset (judge accuracy)",
        "status",
        "final D loss",
        "final G loss",
        "modes",
        "KL",
        "confident / high quality",
        "precision",
        "recall",
        "density",
        "coverage",
        "judge-FD",
        "judge-IS",
        *(["two-sample (floor)"] if two_sampled else []),
        "samples",
    ]
    lines = ["| " + " | ".join(map(cell, header)) + " |", "|" + " --- |" * len(header)]
    for run in runs:
        summary = run["summary"] or {}
        metrics = summary.get("metrics") or {}
        samples = run["dir"] / "samples.png"
        link = "-"
        if samples.is_file():
            target = samples.relative_to(link_samples_from) if link_samples_from else samples
            link = f"[png]({urllib.parse.quote(target.as_posix())})"
        cells = [
            *(cell(setting(run, k)) for k in keys),
            _dataset_cell(summary),
            cell(run["status"]),
            _number(summary.get("final_d_loss"), 4),
            _number(summary.get("final_g_loss"), 4),
            f"{metrics['modes']}/{metrics.get('possible_modes', 10)}" if "modes" in metrics else "-",
            _number(metrics.get("kl"), 3),
            f"{metrics[_quality(metrics)]:.1%}" if _quality(metrics) else "-",
            *(_number(metrics.get(k), 3) for k in FIDELITY_DIVERSITY),
            _number(metrics.get("judge_fd"), 2),
            _number(metrics.get("judge_is"), 2),
            *([_two_sample_cell(metrics)] if two_sampled else []),
            link,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _two_sample_cell(metrics: dict) -> str:
    if "two_sample" not in metrics:
        return "-"
    return f"{metrics['two_sample']:.1%} ({metrics.get('two_sample_floor', float('nan')):.1%})"


def _mean_and_error(values: list[float]) -> tuple[float, float | None]:
    """The mean and its standard error (sample standard deviation / sqrt(n)); no error for one value."""
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, None
    variance = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
    return mean, (variance / len(values)) ** 0.5


def _mean_cell(values: list[float], digits: int) -> str:
    if not values:
        return "-"
    mean, error = _mean_and_error(values)
    return f"{mean:.{digits}f}" + ("" if error is None else f" ± {error:.{digits}f}")


def grouped_table(runs: list[dict], over: str = "seed") -> str:
    """One row per setting, the runs that differ only in ``over`` (the seed) pooled: mean ± standard error of
    the final metrics, and the mean wall time of a run's training."""
    keys = [k for k in varying_keys(runs) if k != over]
    groups: dict[tuple, list[dict]] = {}
    for run in runs:
        groups.setdefault(tuple(setting(run, k) for k in keys), []).append(run)
    header = [*keys, "dataset (judge accuracy)", "runs", "updates", "modes", "KL", "confident / high quality"]
    header += [*FIDELITY_DIVERSITY, "judge-FD"]
    header.append("training s / run")
    lines = ["| " + " | ".join(map(cell, header)) + " |", "|" + " --- |" * len(header)]
    for values, members in groups.items():
        done = [run["summary"] for run in members if run["summary"] and run["summary"].get("metrics")]
        final = [summary["metrics"] for summary in done]
        possible = final[0].get("possible_modes", 10) if final else 10
        cells = [
            *map(cell, values),
            _dataset_cell(done[0]) if done else "-",
            f"{len(done)} of {len(members)}",
            ", ".join(sorted({str(summary.get("updates")) for summary in done})) or "-",
            _mean_cell([m["modes"] for m in final if "modes" in m], 1) + (f" / {possible}" if final else ""),
            _mean_cell([m["kl"] for m in final if "kl" in m], 3),
            _mean_cell([100 * m[_quality(m)] for m in final if _quality(m)], 1) + ("%" if final else ""),
            *(_mean_cell([m[k] for m in final if k in m], 3) for k in FIDELITY_DIVERSITY),
            _mean_cell([m["judge_fd"] for m in final if "judge_fd" in m], 1),
            _mean_cell([summary["fit_seconds"] for summary in done if summary.get("fit_seconds") is not None], 0),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _label(run: dict, keys: list[str]) -> str:
    return ",".join(f"{k}={setting(run, k)}" for k in keys)


def _smooth(values: list[float], window: int = 25) -> list[float]:
    out, total = [], 0.0
    for i, value in enumerate(values):
        total += value - (values[i - window] if i >= window else 0.0)
        out.append(total / min(i + 1, window))
    return out


def plot(runs: list[dict], path) -> Path:
    """``report_figure``, saved as a PNG."""
    with atomic_path(path) as tmp:
        report_figure(runs).savefig(tmp, format="png")
    return Path(path)


def report_figure(runs: list[dict]) -> Figure:
    """Loss curves (moving average of the recorded losses) and per-epoch metrics, one line per run."""
    keys = varying_keys(runs)
    figure = Figure(figsize=(18, 9), layout="constrained")
    axes = figure.subplots(2, 3)
    panels = [(axes[0, 0], "D"), (axes[1, 0], "G")]
    for run in runs:
        label = _label(run, keys)
        for ax, network in panels:
            records = run["progress"][network]
            if records:
                ax.plot([s for s, _ in records], _smooth([v for _, v in records]), label=label, linewidth=1)
        history = (run["summary"] or {}).get("metrics_per_epoch") or []
        for ax, metric in zip(axes[:, 1:].flat, METRICS, strict=True):
            if history:
                points = [(h["updates"], h[metric]) for h in history if metric in h and "updates" in h]
                ax.plot([u for u, _ in points], [v for _, v in points], "o-", label=label)
    for ax, network in panels:
        ax.set(title=f"{network} loss (moving average of 25 records)", xlabel="update", ylim=(0, None))
    for ax, metric in zip(axes[:, 1:].flat, METRICS, strict=True):
        ax.set(title=f"{metric} (after each epoch)", xlabel="update")
    if axes[0, 0].get_legend_handles_labels()[0]:  # no run recorded a loss: nothing to name
        axes[0, 0].legend(fontsize="small")
    return figure


# What each epoch measures: the judge on images; the mode count and the high-quality share on 2D mixtures
QUALITY = ("confident", "judge_is", "judge_fd", "precision", "recall")
POINT_QUALITY = ("modes", "high_quality", "kl", "precision", "recall")
_FORMATS = {"confident": ".1%", "high_quality": ".1%", "judge_is": ".2f", "judge_fd": ".1f", "kl": ".3f",
            "precision": ".2f", "recall": ".2f", "modes": "d"}  # fmt: skip


def _histories(runs: list[dict]) -> tuple[tuple[str, ...], list[list[dict]]]:
    """The metrics to show (``QUALITY`` or, when no run has a judge, ``POINT_QUALITY``) and each run's measured
    epochs."""
    epochs = [(r["summary"] or {}).get("metrics_per_epoch") or [] for r in runs]
    judged = any("confident" in h for history in epochs for h in history)
    metrics = QUALITY if judged else POINT_QUALITY
    wanted = (*metrics, "images", "epoch")
    return metrics, [[h for h in history if all(k in h for k in wanted)] for history in epochs]


def quality_figure(runs: list[dict]) -> Figure:
    """Quality against training: each of ``QUALITY`` (2D mixtures: ``POINT_QUALITY``) after every epoch, against
    images seen (top row) and, when the runs' epochs recorded their ``seconds``, against wall-clock minutes (bottom
    row); one line per run."""
    metrics, histories = _histories(runs)
    timed = any("seconds" in h for history in histories for h in history)
    figure = Figure(figsize=(22, 8 if timed else 4.5), layout="constrained")
    axes = figure.subplots(2 if timed else 1, len(metrics), squeeze=False)
    labels = [_label(run, varying_keys(runs)) or run["dir"].name for run in runs]
    for history, label in zip(histories, labels, strict=True):
        for column, metric in enumerate(metrics):
            axes[0, column].plot([h["images"] for h in history], [h[metric] for h in history], "o-", label=label)
            if timed:
                minutes = [(h["seconds"] / 60, h[metric]) for h in history if "seconds" in h]
                axes[1, column].plot([m for m, _ in minutes], [v for _, v in minutes], "o-", label=label)
    seen = "images seen" if metrics is QUALITY else "points seen"
    for column, metric in enumerate(metrics):
        axes[0, column].set(title=f"{metric} (after each epoch)", xlabel=seen)
        if timed:
            axes[1, column].set(title=metric, xlabel="wall-clock minutes (metrics included)")
    figure.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", fontsize="small")
    return figure


def quality_table(runs: list[dict]) -> str:
    """Each run's epochs as Markdown rows: images (points), minutes, and ``QUALITY`` (``POINT_QUALITY``)."""
    metrics, histories = _histories(runs)
    lines = ["| run | epoch | images | minutes | " + " | ".join(metrics) + " |", "|" + " --- |" * (4 + len(metrics))]
    for run, history in zip(runs, histories, strict=True):
        for h in history:
            minutes = f"{h['seconds'] / 60:.1f}" if "seconds" in h else "-"
            cells = [format(h[m], _FORMATS[m]) for m in metrics]
            row = [cell(run["dir"].name), str(h["epoch"] + 1), f"{h['images']:,}", minutes, *cells]
            lines.append(f"| {' | '.join(row)} |")
    return "\n".join(lines)
