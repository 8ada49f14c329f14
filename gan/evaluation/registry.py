"""The results registry: one record per reported run, and the tables the pages show, rendered from it.

- ``results/runs.jsonl`` holds the records, one JSON object per line: the run's command (its overrides), seed,
  commit, threads, device and CPU, minutes of training and its final metrics. ``scripts/results.py add RUN...`` adds
  runs from their folders; numbers of earlier pages whose run folders are gone were migrated with their ``source``.
- ``results/papers.yaml`` holds published numbers, quoted as the papers' (a row of ours is never one of theirs).
- ``results/tables.yaml`` names each table: its rows (which records, by series), its columns, the papers' rows.
- A page holds a table between ``<!-- results: NAME -->`` and ``<!-- /results -->``; ``render`` rewrites what lies
  between, ``check`` names each page and table that differs from what the registry renders.
"""

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from gan.errors import ConfigError
from gan.file_safety import atomic_path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "results"
MARKER = re.compile(r"<!-- results: ([\w-]+) -->\n(.*?)<!-- /results -->", re.DOTALL)
PAGES = ("README.md", "docs")  # every Markdown page under these may hold marked tables

# column -> (header, metric key in a record, how one value shows)
COLUMNS = {
    "modes": ("digits / KL", None, None),
    "confident": ("confident", "confident", "{:.1%}"),
    "high_quality": ("high quality", "high_quality", "{:.1%}"),
    "modes_2d": ("modes", "modes", "{:.1f}"),
    "kl": ("KL", "kl", "{:.3f}"),
    "judge_fd": ("judge-FD", "judge_fd", "{:.1f}"),
    "judge_is": ("judge-IS", "judge_is", "{:.2f}"),
    "precision": ("precision", "precision", "{:.2f}"),
    "recall": ("recall", "recall", "{:.2f}"),
    "all_confident": ("all three confident", "confident", "{:.1%}"),
    "minutes": ("minutes", "minutes", "{:.1f}"),
    "two_sample": ("two-sample accuracy", "two_sample", "{:.1%}"),
    "updates": ("updates", "updates", "{:,.0f}"),
    "asked_class": ("asked class drawn", "asked_class", "{:.1%}"),
    "two_sample_floor": ("its floor", "two_sample_floor", "{:.1%}"),
}


@dataclass
class Record:
    series: str  # which question or preset the run answers: rows select records by it
    command: str  # the overrides after `python scripts/train.py`, without the seed
    seed: int | None
    metrics: dict
    minutes: float | None = None  # wall-clock minutes of training (metrics included), where measured
    threads: int | None = None
    device: str | None = None
    cpu: str | None = None
    commit: str | None = None
    date: str | None = None
    source: str = "run folder"  # or where a migrated number was read: "docs/curing.md, <section>"

    def value(self, key: str):
        return self.minutes if key == "minutes" else self.metrics.get(key)


def load_records(path: Path = RESULTS / "runs.jsonl") -> list[Record]:
    records = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(Record(**json.loads(line)))
        except (json.JSONDecodeError, TypeError) as error:
            raise ConfigError(f"{path}, line {number}: not a record ({error})") from None
    return records


def append_records(records: list[Record], path: Path = RESULTS / "runs.jsonl") -> None:
    text = path.read_text() if path.is_file() else ""
    with atomic_path(path) as tmp:
        tmp.write_text(text + "".join(json.dumps(vars(r), sort_keys=True) + "\n" for r in records))


def record_from_run(run_dir: Path, series: str) -> Record:
    """The record of a finished run folder: its overrides (from .hydra/overrides.yaml), seed and final metrics (from
    summary.json), its machine (summary.json's ``machine``, written since the registry exists)."""
    summary_path, overrides_path = run_dir / "summary.json", run_dir / ".hydra" / "overrides.yaml"
    for needed in (summary_path, overrides_path):
        if not needed.is_file():
            raise ConfigError(f"{run_dir}: no {needed.relative_to(run_dir)}: not a finished run folder")
    summary = json.loads(summary_path.read_text())
    overrides = yaml.safe_load(overrides_path.read_text()) or []
    seed = next((int(o.split("=", 1)[1]) for o in overrides if o.startswith("seed=")), None)
    config = yaml.safe_load((run_dir / ".hydra" / "config.yaml").read_text()) if seed is None else {}
    machine = summary.get("machine") or {}
    keep = ("modes", "possible_modes", "kl", "confident", "high_quality", "judge_fd", "judge_is", "precision",
            "recall", "density", "coverage", "two_sample", "two_sample_floor")  # fmt: skip
    metrics = {k: round(v, 6) for k, v in (summary.get("metrics") or {}).items() if k in keep}
    metrics |= {"images": summary.get("images"), "updates": summary.get("updates")}
    return Record(
        series=series,
        command=" ".join(o for o in overrides if not o.startswith("seed=")),
        seed=seed if seed is not None else config.get("seed"),
        metrics=metrics,
        minutes=round(summary["fit_seconds"] / 60, 2) if summary.get("fit_seconds") else None,
        threads=machine.get("threads"),
        device=machine.get("device"),
        cpu=machine.get("cpu"),
        commit=machine.get("commit"),
        date=machine.get("date") or _modified(summary_path),
    )


def _modified(path: Path) -> str:
    import datetime

    return datetime.date.fromtimestamp(path.stat().st_mtime).isoformat()


def this_cpu() -> str | None:
    try:
        with open("/proc/cpuinfo") as f:
            return next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), None)
    except OSError:
        return None


# --- tables ------------------------------------------------------------------------------------------------------


def _mean_sd(values: list[float]) -> tuple[float, float | None]:
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, None
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def _cell(values: list, form: str) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return ""
    mean, sd = _mean_sd(values)
    shown = form.format(mean)
    if sd is None:
        return shown
    spread = form.format(sd).rstrip("%")
    return f"{shown} ± {spread}{'%' if shown.endswith('%') else ''}"


def _seeds(records: list[Record]) -> str:
    seeds = sorted(r.seed for r in records if r.seed is not None)
    if not seeds:
        return ""
    if len(seeds) > 2 and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}-{seeds[-1]}"
    return ", ".join(map(str, seeds))


def _modes_cell(records: list[Record]) -> str:
    """"10/10 / 0.003": the modes covered (their mean where seeds differ) of the possible, and the KL."""
    modes = [r.metrics.get("modes") for r in records if r.metrics.get("modes") is not None]
    possible = records[0].metrics.get("possible_modes", 10) if records else 10
    kl = _cell([r.metrics.get("kl") for r in records], "{:.3f}")
    if not modes:
        return kl
    shown = f"{modes[0]:g}" if len(set(modes)) == 1 else f"{sum(modes) / len(modes):.1f}"
    return f"{shown}/{possible} / {kl}"


def render_table(name: str, spec: dict, records: list[Record], papers: dict) -> str:
    columns = spec["columns"]
    names = spec.get("headers", {})  # a table's own name for a column: "classes / KL" on Fashion-MNIST
    header = [spec.get("first", "recipe"), "seeds", *(names.get(c, COLUMNS[c][0]) for c in columns)]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for row in spec["rows"]:
        if "paper" in row:
            paper = papers[row["paper"]]
            cells = [str(paper.get("values", {}).get(c, "")) for c in columns]
            lines.append(f"| {paper['label']}: the paper's | | " + " | ".join(cells) + " |")
            continue
        wanted = row["series"] if isinstance(row["series"], list) else [row["series"]]  # one row may pool series
        chosen = [r for r in records if r.series in wanted and r.seed in row.get("seeds", [r.seed])]
        if not chosen:
            raise ConfigError(f"results/tables.yaml, table {name}: no record of series {row['series']!r}")
        # minutes only where a run was timed at the table's thread count (the presets': 2, alone); a row may take
        # them from a timed run of its own series (`minutes_from`)
        timed = [r for r in records if r.series == row["minutes_from"]] if "minutes_from" in row else chosen
        timed = [r for r in timed if r.threads == row.get("minutes_threads", spec.get("minutes_threads", 2))]
        cells = []
        for column in columns:
            _, key, form = COLUMNS[column]
            values = [r.value(key) for r in (timed if column == "minutes" else chosen)]
            cells.append(_modes_cell(chosen) if column == "modes" else _cell(values, form))
        label = row.get("label") or f"`{chosen[0].command}`"
        lines.append(f"| {label} | {_seeds(chosen)} | " + " | ".join(cells) + " |")
    if len(lines) - 2 > spec.get("max_rows", 8):
        most = spec.get("max_rows", 8)
        raise ConfigError(f"results/tables.yaml, table {name}: {len(lines) - 2} rows, more than {most}")
    shown = [r for row in spec["rows"] if "series" in row for r in records
             if r.series in (row["series"] if isinstance(row["series"], list) else [row["series"]])]  # fmt: skip
    commands = list(dict.fromkeys(_command(r) for r in shown))
    notes = [spec["note"]] if spec.get("note") else []
    notes.append("Ours: mean ± standard deviation over the seeds listed, one record each in results/runs.jsonl; "
                 "commands: " + "; ".join(commands) + ".")  # fmt: skip
    migrated = list(dict.fromkeys(r.source for r in shown if r.source != "run folder"))
    if migrated:
        notes.append("Migrated from the pages (their run folders are gone): " + "; ".join(migrated) + ".")
    return "\n".join(lines) + "\n\n" + " ".join(notes) + "\n"


def _command(record: Record) -> str:
    if record.command.startswith("scripts/"):
        return f"`{record.command}`"
    return f"`python scripts/train.py {record.command}{' seed=S' if record.seed is not None else ''}`"


def load_tables() -> tuple[dict, dict]:
    tables = yaml.safe_load((RESULTS / "tables.yaml").read_text())
    papers = yaml.safe_load((RESULTS / "papers.yaml").read_text())
    return tables, papers


def pages(root: Path = ROOT) -> list[Path]:
    found = []
    for entry in PAGES:
        path = root / entry
        found += sorted(path.rglob("*.md")) if path.is_dir() else [path]
    return [p for p in found if "img" not in p.relative_to(root).parts]


def rendered(text: str, tables: dict, papers: dict, records: list[Record], page: str) -> str:
    def replace(match: re.Match) -> str:
        name = match[1]
        if name not in tables:
            raise ConfigError(f"{page}: names the table {name!r}, which results/tables.yaml does not hold")
        return f"<!-- results: {name} -->\n{render_table(name, tables[name], records, papers)}<!-- /results -->"

    return MARKER.sub(replace, text)


def _renderings(root: Path):
    """(page, its text, its text with every marked table rendered) for each page under ``root``."""
    tables, papers = load_tables()
    records = load_records()
    for page in pages(root):
        text = page.read_text()
        yield page, text, rendered(text, tables, papers, records, str(page.relative_to(root)))


def differences(root: Path = ROOT) -> list[str]:
    """Each (page, table) whose text differs from what the registry renders, as "page: table NAME"."""
    stale = []
    for page, text, new in _renderings(root):
        expected = {match[1]: match[0] for match in MARKER.finditer(new)}
        stale += [f"{page.relative_to(root)}: table {m[1]}" for m in MARKER.finditer(text) if expected[m[1]] != m[0]]
    return stale


def render_pages(root: Path = ROOT) -> list[Path]:
    """Rewrite every page whose marked tables differ from the registry's rendering (each written whole)."""
    changed = []
    for page, text, new in _renderings(root):
        if new != text:
            with atomic_path(page) as tmp:
                tmp.write_text(new)
            changed.append(page)
    return changed
