"""Faults tried for real, as the README's reliability table reports them.

    python scripts/faults.py            # a few minutes on 2 cores; prints a Markdown table

Each row starts `scripts/train.py` on the first 400 MNIST training images (2 epochs at batch size 1, chunks of 8,
`last.ckpt` after every chunk so that checkpoint writes are frequent enough to hit), hurts it, and reports what
survived on disk and whether `resume=` then reaches the uninterrupted run's final weights bit for bit. The
default `checkpoints.every_minutes=2` bounds the loss of a real run the same way, at 2 minutes. Needs
data/mnist_train.csv (any training run downloads it; MNIST_MIRROR works).
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
SIGNALS = {"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM, "kill -9": signal.SIGKILL}


def command(csv: Path, work: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        str(ROOT / "scripts" / "train.py"),
        "data=csv",
        f"data.train_csv={csv}",
        f"data.data_dir={work}",
        "data.chunk_size=8",
        "trainer.max_epochs=2",
        "trainer.enable_progress_bar=false",
        "metrics.enabled=false",
        "checkpoints.every_minutes=0.00001",
        *extra,
    ]


def weights(checkpoint: Path) -> dict:
    state = torch.load(checkpoint, weights_only=True)["state_dict"]
    return {k: v for k, v in state.items() if k.startswith(("generator.", "discriminator."))}


def same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def run_folder(cwd: Path) -> Path:
    (events,) = (cwd / "lightning_logs").glob("*/*/.hydra")
    return events.parent


def when(point: str, cwd: Path) -> bool:
    checkpoints = list((cwd / "lightning_logs").glob("*/*/checkpoints"))
    if not checkpoints:
        return False
    folder = checkpoints[0]
    if point == "mid-epoch":
        return (folder / "last.ckpt").exists() and not (folder / "epoch=0.ckpt").exists()
    if point == "epoch end":
        return (folder / "epoch=0.ckpt").exists()
    # during a checkpoint write, once one checkpoint is whole (a kill during the very first write loses 8 updates)
    return (folder / "last.ckpt").exists() and any(folder.glob(".*.tmp"))


def resume_and_compare(cwd: Path, reference: dict) -> tuple[str, str]:
    """(what survived, what resuming gives)."""
    from gan.training.saved_runs import resumable_checkpoint

    run = run_folder(cwd)
    notes = []
    try:
        checkpoint, saved = resumable_checkpoint(run, log=notes.append)
    except (FileNotFoundError, ValueError) as error:
        return f"nothing resumable ({str(error).replace(str(run), 'RUN')})", "-"
    survived = f"`{checkpoint.name}`, {saved['gan']['state']['updates']} of 800 updates"
    if notes:
        survived += " (fell back: the newer one does not load)"
    leftovers = list(run.glob("checkpoints/.*.tmp"))
    if leftovers:
        survived += f"; {len(leftovers)} temp file left, removed by the next write"
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "train.py"), f"resume='{run}'"], cwd=cwd, capture_output=True, text=True
    )
    if done.returncode != 0:
        return survived, f"resume failed: {done.stderr.strip().splitlines()[-1]}"
    end = weights(resumable_checkpoint(run, log=lambda _: None)[0])
    return survived, "identical to the uninterrupted run" if same(end, reference) else "DIFFERENT weights"


def full_disk(csv: Path, work: Path) -> tuple[str, str, str, str]:
    """A run whose folder is on a 3 MiB tmpfs: the disk fills at the first epoch end (needs root to mount)."""
    from gan.training.saved_runs import try_load

    disk = work / "small-disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        return "full disk (3 MiB tmpfs)", "-", "not run: mounting a tmpfs needs root", "-"
    try:
        done = subprocess.run(command(csv, work), cwd=disk, capture_output=True, text=True)
        said = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "(nothing on stderr)"
        said = said.replace(str(run_folder(disk)), "RUN")
        loaded = {c: try_load(c)[0] for c in sorted(disk.glob("lightning_logs/*/*/checkpoints/*.ckpt"))}
        whole = {c: saved["gan"]["state"]["updates"] for c, saved in loaded.items() if saved is not None}
        kept = ", ".join(f"`{c.name}` ({u} updates, loads)" for c, u in whole.items())
        temps = len(list(disk.glob("lightning_logs/*/*/checkpoints/.*.tmp")))
        return "full disk (3 MiB tmpfs)", f"exit {done.returncode}: `{said}`", f"{kept}; {temps} temp files", "-"
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)


class RunsCode:
    """Unpickled the unsafe way, this runs ``touch <marker>``: what a crafted checkpoint would do."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def listing(cwd: Path, target: str) -> set[str]:
    """Every path under ``cwd`` except Hydra's own record of the command (``.hydra/``, train.log)."""
    record = {cwd / target / ".hydra", cwd / target / "train.log"}
    return {str(p.relative_to(cwd)) for p in cwd.rglob("*") if not any(p.is_relative_to(r) for r in record)}


def user_folders(csv: Path, work: Path) -> list[tuple]:
    """A command that fails (a bad value) pointed at folders the user owns: what is left of them."""
    rows = []
    for name, target in (("a user's folder with a file", "userdir"), ("a checkout (`.git`), as `.`", ".")):
        cwd = work / f"owned-{target.strip('.') or 'dot'}"
        (cwd / ".git").mkdir(parents=True)
        (cwd / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
        folder = cwd / target
        folder.mkdir(exist_ok=True)
        (folder / "a.txt").write_text("x")
        before = listing(cwd, target)
        done = subprocess.run(
            command(csv, work, f"hydra.run.dir={target}", "model.pack=0"), cwd=cwd, capture_output=True, text=True
        )
        after = listing(cwd, target)
        lost = sorted(before - after)
        said = done.stderr.strip().splitlines()[-1]
        kept = "all kept" if not lost else f"LOST: {', '.join(lost)}"
        rows.append((f"failed command, `hydra.run.dir=` {name}", f"exit {done.returncode}: `{said}`", kept, "-"))
    return rows


def config_payload(marker: Path) -> dict:
    """A config node that runs ``touch <marker>`` when instantiated, through callables Hydra's blocklist allows:
    torch.load(io.BytesIO(base64.b64decode(...)), weights_only=False)."""
    import base64
    import io

    pickled = io.BytesIO()
    torch.save(RunsCode(marker), pickled)
    blob = {"_target_": "base64.b64decode", "s": base64.b64encode(pickled.getvalue()).decode()}
    return {"_target_": "torch.load", "f": {"_target_": "io.BytesIO", "initial_bytes": blob}, "weights_only": False}


def crafted_checkpoint(reference_run: Path, work: Path) -> list[tuple]:
    """A .ckpt that runs a shell command when loaded, given to each script that reads checkpoints: once as a pickled
    object, once as a config it carries that would build one (``model.discriminator``)."""
    marker = work / "code-ran"
    saved = torch.load(reference_run / "checkpoints" / "last.ckpt", weights_only=True)
    rows = []
    for how in ("pickled object", "carried config"):
        evil = work / "shared.ckpt"
        if how == "pickled object":
            torch.save({**saved, "payload": RunsCode(marker)}, evil)
        else:
            config = {**saved["config"], "model": {**saved["config"]["model"], "discriminator": config_payload(marker)}}
            torch.save({**saved, "config": config}, evil)
        for script, *args in (("evaluate.py", evil), ("generate.py", evil, "samples"), ("train.py", f"resume={evil}")):
            done = subprocess.run(
                [sys.executable, str(ROOT / "scripts" / script), *map(str, args)],
                cwd=work,
                capture_output=True,
                text=True,
            )
            said = done.stderr.strip().splitlines()[-1].replace(str(work), "WORK")
            ran = "THE COMMAND RAN" if marker.exists() else "the command did not run"
            rows.append(
                (
                    f"crafted `.ckpt` ({how}) that runs a command, `{script}`",
                    f"exit {done.returncode}: `{said}`",
                    ran,
                    "-",
                )
            )
            marker.unlink(missing_ok=True)
    return rows


def run_folder_from_elsewhere(reference_run: Path, work: Path) -> list[tuple]:
    """A downloaded run folder whose config or files would reach outside it: an interpolation that builds a payload,
    a link to a user's folder or file where the project writes, a data name that leaves data/."""
    marker, victim = work / "code-ran", work / "victim"
    victim.mkdir()
    (victim / "notes").write_text("my notes\n")
    (victim / "samples.png").write_bytes(b"my picture")
    blob = config_payload(marker)["f"]["initial_bytes"]["s"]
    interpolation = (
        "${oc.create:{_target_: torch.load, weights_only: false, f: {_target_: io.BytesIO, initial_bytes: "
        f"{{_target_: base64.b64decode, s: '{blob}'}}}}}}}}"
    )
    cases = [
        ("`${oc.create:...}` payload as `loss`", {"loss": interpolation}, None, ("evaluate.py", "{run}")),
        ("the same, `resume=`", {"loss": interpolation}, None, ("train.py", "resume={run}", "trainer.max_epochs=3")),
        ("`data.name: ../../victim/notes`", {"data": "name"}, None, ("generate.py", "{run}", "samples")),
        ("`generated/` a link to a user's folder", {}, "generated", ("generate.py", "{run}", "samples")),
        ("`.lock` a link to a user's file", {}, ".lock", ("train.py", "resume={run}", "trainer.max_epochs=3")),
    ]
    rows = []
    for what, edit, link, (script, *args) in cases:
        run = work / "elsewhere"
        shutil.rmtree(run, ignore_errors=True)
        shutil.copytree(reference_run, run)
        last = run / "checkpoints" / "last.ckpt"
        saved = torch.load(last, weights_only=True)
        if edit.get("data") == "name":
            saved["config"]["data"]["name"] = "../../victim/notes"
        elif edit:
            saved["config"].update(edit)
        torch.save(saved, last)
        if link:
            (run / link).symlink_to(victim if link == "generated" else victim / "notes")
        before = contents(victim)
        done = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / script), *(a.format(run=run) for a in args)],
            cwd=work,
            capture_output=True,
            text=True,
        )
        said = done.stderr.strip().splitlines()[-1].replace(str(work), "WORK") if done.stderr.strip() else ""
        said = said if len(said) < 160 else said[:157] + "..."
        ran = "THE COMMAND RAN" if marker.exists() else "no code ran"
        kept = "the user's files byte for byte" if contents(victim) == before else "THE USER'S FILES CHANGED"
        rows.append((f"run folder from elsewhere: {what}, `{script}`", f"exit {done.returncode}: `{said}`",
                     f"{ran}; {kept}", "-"))  # fmt: skip
        marker.unlink(missing_ok=True)
    return rows


def round_six(reference_run: Path, work: Path, csv: Path) -> list[tuple]:
    """Round six's attacks: a run folder whose .hydra/config.yaml resolves to text that would be parsed again, or is
    a YAML alias bomb; then ``_round_six_folders``."""
    import yaml

    marker, victim = work / "code-ran", work / "victim6"
    victim.mkdir()
    (victim / "notes").write_text("my notes\n")
    blob = config_payload(marker)["f"]["initial_bytes"]["s"]
    bare = (
        "{oc.create:{_target_: torch.load, weights_only: false, f: {_target_: io.BytesIO, initial_bytes: "
        f"{{_target_: base64.b64decode, s: '{blob}'}}}}}}}}"
    )  # no "${" in it: resolved after a "$", it would become one
    bomb = "".join(f"b{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10) if i else 'x'}]\n" for i in range(10))
    rows = []
    for what, edit in (
        ("`$${key}` splicing a `{oc.create:...}` value", "splice"),
        ("a YAML alias bomb (10 levels of 10)", "bomb"),
    ):
        run = work / "old"
        shutil.rmtree(run, ignore_errors=True)
        shutil.copytree(reference_run, run)
        last = run / "checkpoints" / "last.ckpt"
        saved = torch.load(last, weights_only=True)
        config = saved.pop("config")  # a checkpoint from before they carried one: the loader reads .hydra/
        torch.save(saved, last)
        text = yaml.safe_dump(config)
        if edit == "splice":
            config["trainer"]["default_root_dir"] = bare
            config["optimizer"]["weight_decay"] = "$${trainer.default_root_dir}"
            text = yaml.safe_dump(config)
        else:
            text += bomb
        (run / ".hydra" / "config.yaml").write_text(text)
        started = time.monotonic()
        done = subprocess.run([sys.executable, str(ROOT / "scripts" / "generate.py"), str(run), "samples"], cwd=work,
                              capture_output=True, text=True, timeout=600)  # fmt: skip
        seconds = time.monotonic() - started
        rows.append((f"run folder, `.hydra/config.yaml` with {what}, `generate.py`",
                     f"exit {done.returncode} in {seconds:.1f} s: `{_said(done, work)}`",
                     "THE COMMAND RAN" if marker.exists() else "no code ran", "-"))  # fmt: skip
        marker.unlink(missing_ok=True)
    return rows + _round_six_folders(reference_run, work, csv, victim)


def _round_six_folders(reference_run: Path, work: Path, csv: Path, victim: Path) -> list[tuple]:
    """A run dir that resolves (``${now:...}/..``) to a finished run; a ``.lock`` hard-linked to a user's file."""
    rows = []
    finished = work / "finished6"
    shutil.copytree(reference_run, finished)
    before = contents(finished)
    done = subprocess.run(command(csv, work, f"hydra.run.dir={finished}/${{now:%Y}}/.."), cwd=work,
                          capture_output=True, text=True)  # fmt: skip
    kept = "byte for byte as before" if contents(finished) == before else "THE FINISHED RUN CHANGED"
    rows.append(("training into a finished run as `hydra.run.dir=RUN/${now:%Y}/..`",
                 f"exit {done.returncode}: `{_said(done, work)}`", kept, "-"))  # fmt: skip
    (finished / ".lock").unlink(missing_ok=True)
    os.link(victim / "notes", finished / ".lock")
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "train.py"), f"resume={finished}",
                           "trainer.max_epochs=3"], cwd=work, capture_output=True, text=True)  # fmt: skip
    kept = "the user's file byte for byte" if (victim / "notes").read_text() == "my notes\n" else "THE FILE CHANGED"
    rows.append(("run folder with `.lock` a hard link to a user's file, `resume=`",
                 f"exit {done.returncode}: `{_said(done, work)}`", kept, "-"))  # fmt: skip
    return rows


def _said(done: subprocess.CompletedProcess, work: Path) -> str:
    said = done.stderr.strip().splitlines()[-1].replace(str(work), "WORK") if done.stderr.strip() else ""
    return said if len(said) < 160 else said[:157] + "..."


def contents(folder: Path) -> dict:
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def finished_run_and_two_writers(csv: Path, work: Path, reference_run: Path) -> list[tuple]:
    """Training into a finished run's folder; and a second writer (resume=) while the run still trains.
    Over 50 lines: two faults that share a finished run and a live one, each a start, a hurt and a look."""
    rows = []
    finished = work / "finished"
    shutil.copytree(reference_run, finished)
    before = contents(finished)
    done = subprocess.run(command(csv, work, f"hydra.run.dir={finished}"), cwd=work, capture_output=True, text=True)
    said = done.stderr.strip().splitlines()[-1].replace(str(work), "WORK")
    kept = "byte for byte as before" if contents(finished) == before else "CHANGED"
    rows.append(
        ("training into a finished run's folder (`hydra.run.dir=`)", f"exit {done.returncode}: `{said}`", kept, "-")
    )
    busy = work / "busy"
    first = subprocess.Popen(
        command(csv, work, f"hydra.run.dir={busy}", "trainer.max_epochs=1000"),
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not (busy / "checkpoints" / "epoch=0.ckpt").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    second = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "train.py"), f"resume={busy}"], cwd=work, capture_output=True, text=True
    )
    said = second.stderr.strip().splitlines()[-1].replace(str(work), "WORK").replace(str(first.pid), "PID")
    first.send_signal(signal.SIGINT)
    first.communicate(timeout=120)
    epochs = torch.load(busy / "checkpoints" / "last.ckpt", weights_only=True)["config"]["trainer"]["max_epochs"]
    kept = f"the first run stopped by Ctrl-C (exit {first.returncode}), its own config in `last.ckpt` ({epochs} epochs)"
    rows.append(("a second writer: `resume=` while the run trains", f"exit {second.returncode}: `{said}`", kept, "-"))
    together = work / "together"
    pair = [
        subprocess.Popen(
            command(csv, work, f"hydra.run.dir={together}", f"seed={seed}"),
            cwd=work,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in (1, 2)
    ]
    ends = [p.communicate(timeout=300) for p in pair]
    codes = [p.returncode for p in pair]
    refused = [err.strip().splitlines()[-1] for (_, err), code in zip(ends, codes, strict=True) if code != 0]
    said = refused[0].replace(str(work), "WORK") if refused else "(none refused)"
    for p in pair:
        said = said.replace(str(p.pid), "PID")
    overrides = (together / ".hydra" / "overrides.yaml").read_text()
    carried = torch.load(together / "checkpoints" / "last.ckpt", weights_only=True)["config"]["seed"]
    agree = f"seed={carried}" in overrides
    kept = f"one run (seed {carried}); `.hydra/overrides.yaml` {'agrees' if agree else 'DISAGREES'} with its checkpoint"
    rows.append(("two commands with one `hydra.run.dir=`, started together", f"exits {codes}: `{said}`", kept, "-"))
    return rows


def main() -> None:
    # over 50 lines: each fault in turn, as the table lists them, read top to bottom
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gan-faults-"))
    csv = work / "train400.csv"
    with open(args.data_dir / "mnist_train.csv") as f, open(csv, "w") as out:
        out.writelines(line for _, line in zip(range(400), f, strict=False))

    reference_dir = work / "reference"
    reference_dir.mkdir()
    subprocess.run(command(csv, work), cwd=reference_dir, check=True, capture_output=True)
    reference = weights(run_folder(reference_dir) / "checkpoints" / "last.ckpt")

    rows = []
    for name, signum in SIGNALS.items():
        for point in ("mid-epoch", "epoch end", "during a checkpoint write"):
            cwd = work / f"{name}-{point}".replace(" ", "_")
            cwd.mkdir()
            process = subprocess.Popen(command(csv, work), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            deadline = time.monotonic() + 120
            while not when(point, cwd) and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.0005)
            process.send_signal(signum)
            process.communicate(timeout=120)
            survived, resumed = resume_and_compare(cwd, reference)
            rows.append((f"{name}, {point}", f"exit {process.returncode}", survived, resumed))

    cwd = work / "truncated"  # a finished run whose last.ckpt was cut short, its epoch=1.ckpt gone too
    shutil.copytree(reference_dir, cwd)
    last = run_folder(cwd) / "checkpoints" / "last.ckpt"
    last.write_bytes(last.read_bytes()[:20_000])
    (last.parent / "epoch=1.ckpt").unlink()
    survived, resumed = resume_and_compare(cwd, reference)
    rows.append(("truncated `last.ckpt` (and no `epoch=1.ckpt`)", "-", survived, resumed))

    cwd = work / "concurrent"
    cwd.mkdir()
    pair = [subprocess.Popen(command(csv, work), cwd=cwd, stdout=subprocess.PIPE) for _ in range(2)]
    codes = [p.wait() for p in pair]
    folders = sorted((cwd / "lightning_logs").glob("*/*/checkpoints/last.ckpt"))
    verdict = all(same(weights(f), reference) for f in folders)
    rows.append(
        (
            "two identical runs started together",
            f"exits {codes}",
            f"{len(folders)} run folders: {', '.join(f.parent.parent.name for f in folders)}",
            "each identical to the uninterrupted run" if verdict and len(folders) == 2 else "MIXED",
        )
    )

    rows.append(full_disk(csv, work))
    rows += user_folders(csv, work)
    rows += crafted_checkpoint(run_folder(reference_dir), work)
    rows += finished_run_and_two_writers(csv, work, run_folder(reference_dir))
    rows += run_folder_from_elsewhere(run_folder(reference_dir), work)
    rows += round_six(run_folder(reference_dir), work, csv)

    print("| fault | process | on disk afterwards | after `resume=` |\n| --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
