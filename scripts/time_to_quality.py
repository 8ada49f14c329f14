"""Quality against time: what each extra epoch, image and minute of training buys, run by run.

    python scripts/time_to_quality.py RUN [RUN ...] --out docs/img/time_to_quality.png

RUN is a run folder trained with the judge's metrics on (the image datasets): after every epoch it recorded the
confident share, judge-IS, judge-FD, precision and recall, the images seen and (since this script) the wall-clock
seconds. On the 2D mixtures (data=ring8, grid25), the modes, the high-quality share, KL, precision and recall
instead. Prints one Markdown row per epoch and draws each metric against images seen and against minutes.
"""

import argparse
from pathlib import Path

from gan.command_errors import reported_errors
from gan.errors import MissingFileError


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path, help="run folders (each with .hydra/ and summary.json)")
    parser.add_argument("--out", type=Path, default=Path("time_to_quality.png"), help="the figure (a PNG)")
    args = parser.parse_args()
    from gan.evaluation.sweep_report import quality_figure, quality_table, read_run  # after --help: stays fast
    from gan.file_safety import atomic_path

    missing = [r for r in args.runs if not (r / "summary.json").is_file()]
    if missing:
        raise MissingFileError(f"{missing[0]}: no summary.json (not a finished run folder)")
    runs = [read_run(r) for r in args.runs]
    print(quality_table(runs))
    with atomic_path(args.out) as tmp:
        quality_figure(runs).savefig(tmp, format="png")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    with reported_errors():
        main()
