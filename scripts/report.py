"""Compare the runs of a sweep: one table row per run, and a PNG of their loss curves and metrics.

    python scripts/train.py -m model=baseline,improved noise=rand,randn
    python scripts/report.py lightning_logs/multirun/2026-11-27_19-11-57
    python scripts/report.py lightning_logs/multirun/<time> --group seed   # mean ± s.e. over seeds

Writes report.md and report.png into the sweep folder and prints the table. Runs that failed or are still
going show their status instead of numbers.
"""

import argparse
from pathlib import Path

from gan.command_errors import reported_errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sweep", type=Path, help="a sweep folder (lightning_logs/multirun/<time>)")
    parser.add_argument(
        "--group", metavar="KEY", help="also a table that pools the runs differing only in KEY (e.g. seed): mean ± s.e."
    )
    args = parser.parse_args()
    from gan.evaluation.sweep_report import grouped_table, markdown_table, plot, read_sweep
    from gan.file_safety import atomic_path  # after the arguments: --help stays fast

    runs = read_sweep(args.sweep)
    if not runs:
        raise SystemExit(f"{args.sweep}: no run folders (with .hydra/overrides.yaml) found")
    table = markdown_table(runs, link_samples_from=args.sweep)
    if args.group:
        table = f"{grouped_table(runs, args.group)}\n\nEach run:\n\n{table}"
    with atomic_path(args.sweep / "report.md") as tmp:
        tmp.write_text(f"# {args.sweep}\n\n{table}\n\n![runs](report.png)\n")
    plot(runs, args.sweep / "report.png")
    print(table)
    print(f"\nwrote {args.sweep / 'report.md'} and {args.sweep / 'report.png'}")


if __name__ == "__main__":
    with reported_errors():
        main()
