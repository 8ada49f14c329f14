"""What the sampling-time cures add, over every run of a sweep: each run measured as trained and with each cure,
pooled over seeds (mean ± standard error).

    python scripts/evaluate_sweep.py lightning_logs/multirun/<time> --drs
    python scripts/evaluate_sweep.py lightning_logs/multirun/<time> --truncation 1.0 0.8 --drs --samples 2500

Writes sampling_cures.md into the sweep folder and prints it. DRS uses each run's own discriminator; the judge
(on image datasets) only scores.
"""

import argparse
from pathlib import Path

from gan.command_errors import reported_errors
from gan.errors import MissingFileError

COLUMNS = ("modes", "high_quality", "confident", "kl", "precision", "recall", "density", "coverage")


def _cell(values: list[float], column: str) -> str:
    from gan.evaluation.sweep_report import _mean_cell

    if column in ("high_quality", "confident"):
        return _mean_cell([100 * v for v in values], 1) + "%"
    return _mean_cell(values, 1 if column == "modes" else 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sweep", type=Path, help="a sweep folder (lightning_logs/multirun/<time>)")
    parser.add_argument("--truncation", type=float, nargs="+", metavar="PSI", default=[1.0])
    parser.add_argument("--drs", action="store_true", help="also each setting with discriminator rejection sampling")
    parser.add_argument("--drs-percentile", type=float, default=80.0, help="DRS's gamma: this percentile of F(x)")
    parser.add_argument("--samples", type=int, help="samples per measurement (default: the dataset's)")
    parser.add_argument("--group", default="seed", help="the key pooled over (default: seed)")
    args = parser.parse_args()
    import gan
    from gan.evaluation.sweep_report import read_sweep, setting, varying_keys
    from gan.file_safety import atomic_path

    runs = [run for run in read_sweep(args.sweep) if run["summary"]]
    if not runs:
        raise MissingFileError(f"{args.sweep}: no finished runs (with summary.json) found")
    keys = [k for k in varying_keys(runs) if k != args.group]
    settings = [(psi, drs) for drs in ([False, True] if args.drs else [False]) for psi in args.truncation]
    groups: dict[tuple, list[dict]] = {}
    for run in runs:
        loaded = gan.load(run["dir"])
        for psi, drs in settings:
            truncation = None if psi == 1.0 else psi
            values = loaded.metrics(args.samples, truncation=truncation, drs=drs, drs_percentile=args.drs_percentile)
            sampling = f"truncation {psi:g}" + (", DRS" if drs else "")
            groups.setdefault((*(setting(run, k) for k in keys), sampling), []).append(values)
        print(f"measured {run['dir'].name}", flush=True)
    shown = [c for c in COLUMNS if any(c in v for members in groups.values() for v in members)]
    header = [*keys, "sampling", "runs", *shown]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for (*values, sampling), members in groups.items():
        cells = [_cell([m[c] for m in members], c) for c in shown]
        lines.append("| " + " | ".join([*values, sampling, str(len(members)), *cells]) + " |")
    table = "\n".join(lines)
    with atomic_path(args.sweep / "sampling_cures.md") as tmp:
        tmp.write_text(f"# {args.sweep}: sampling-time cures\n\n{table}\n")
    print(f"\n{table}\n\nwrote {args.sweep / 'sampling_cures.md'}")


if __name__ == "__main__":
    with reported_errors():
        main()
