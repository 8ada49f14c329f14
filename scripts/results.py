"""The results registry (results/runs.jsonl) and the tables the pages render from it.

    python scripts/results.py add RUN... --series mnist_quick   # one record per finished run folder
    python scripts/results.py add RUN... --series NAME --two-sample   # and the two-sample test measured on each
    python scripts/results.py render                             # rewrite every marked table in README.md and docs/
    python scripts/results.py check                              # exit 1, naming page and table, if one differs

A page holds a table between `<!-- results: NAME -->` and `<!-- /results -->`; results/tables.yaml says which
records (by series) and columns it shows, results/papers.yaml the papers' own numbers beside ours.
"""

import argparse
import sys
from pathlib import Path

from gan.command_errors import reported_errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["add", "render", "check"])
    parser.add_argument("runs", nargs="*", type=Path, help="add: finished run folders")
    parser.add_argument("--series", help="add: the question or preset the runs answer (tables select by it)")
    parser.add_argument("--threads", type=int, help="add: for runs whose summary.json predates its machine record")
    parser.add_argument("--commit", help="add: the commit such runs trained at")
    parser.add_argument("--cpu-here", action="store_true", help="add: such runs trained on this machine's CPU")
    parser.add_argument("--two-sample", action="store_true",
                        help="add: also measure the classifier two-sample test on each run (evaluate.py --two-sample)")
    parser.add_argument("--root", type=Path, default=None, help="the checkout whose pages to render or check")
    args = parser.parse_args()
    from gan.evaluation import registry

    root = args.root or registry.ROOT
    if args.command == "add":
        if not args.runs or not args.series:
            parser.error("add needs run folders and --series NAME")
        records = [registry.record_from_run(run, args.series) for run in args.runs]
        for record in records:  # what a summary.json from before the machine record cannot say, from the command
            record.threads = record.threads or args.threads
            record.commit = record.commit or args.commit
            record.cpu = record.cpu or (registry.this_cpu() if args.cpu_here else None)
            record.device = record.device or ("cpu" if args.cpu_here else None)
        if args.two_sample:  # measured now on the run's own G, if its summary.json does not hold it already
            import gan

            for run, record in zip(args.runs, records, strict=True):
                if "two_sample" not in record.metrics:
                    values = gan.load(run).two_sample()
                    record.metrics |= {k: round(v, 4) for k, v in values.items()}
        registry.append_records(records)
        print(f"added {len(records)} record(s) of series {args.series} to results/runs.jsonl")
    elif args.command == "render":
        changed = registry.render_pages(root)
        print("\n".join(f"rendered {p}" for p in changed) or "every marked table is current")
    else:
        stale = registry.differences(root)
        for line in stale:
            print(f"differs from the registry: {line}", file=sys.stderr)
        if stale:
            print("run: python scripts/results.py render", file=sys.stderr)
            sys.exit(1)
        print("every marked table matches the registry")


if __name__ == "__main__":
    with reported_errors():
        main()
