"""Every number from one record: the registry (results/runs.jsonl) renders the pages' result tables, `check` fails
on a table that drifted, and `add` makes a record from a run folder."""

import re
import shutil

import pytest

from gan.evaluation import registry
from tests.conftest import ROOT, compose_config, run_script


def test_every_marked_table_matches_the_registry():
    assert registry.differences() == []


def test_check_fails_naming_page_and_table_when_one_number_in_the_readme_changes(tmp_path):
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    shutil.copytree(ROOT / "docs", tmp_path / "docs", ignore=shutil.ignore_patterns("img"))
    readme = (tmp_path / "README.md").read_text()
    table = re.search(r"<!-- results: (mnist_presets) -->\n(.*?)<!-- /results -->", readme, re.DOTALL)
    assert table is not None, "README.md has no marked mnist_presets table"
    changed = table[0].replace("89.9%", "91.9%", 1)
    assert changed != table[0]
    (tmp_path / "README.md").write_text(readme.replace(table[0], changed))
    assert registry.differences(tmp_path) == ["README.md: table mnist_presets"]


def test_the_check_command_exits_1_on_drift_and_render_repairs_it(tmp_path):
    assert run_script("results.py", "check", cwd=tmp_path).returncode == 0  # this checkout's pages
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    (tmp_path / "docs").mkdir()
    readme = (tmp_path / "README.md").read_text()
    (tmp_path / "README.md").write_text(readme.replace("| 1 `model=baseline` | 0, 1 |", "| 1 `model=baseline` | 0 |"))
    drifted = run_script("results.py", "check", "--root", tmp_path, cwd=tmp_path)
    assert drifted.returncode == 1 and "README.md: table ladder" in drifted.stderr
    assert run_script("results.py", "render", "--root", tmp_path, cwd=tmp_path).returncode == 0
    assert (tmp_path / "README.md").read_text() == readme


def test_every_result_table_of_the_readme_is_marked_and_has_at_most_8_rows():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    unmarked = MARKER_FREE(readme)
    assert not [t for t in unmarked if re.search(r"\d+\.\d+%", t)], "a result table typed by hand"
    for match in registry.MARKER.finditer(readme):
        rows = [line for line in match[2].splitlines() if line.startswith("| ") and "---" not in line]
        assert len(rows) - 1 <= 8, match[1]


def MARKER_FREE(text: str) -> list[str]:
    """The tables of ``text`` outside the marked blocks."""
    outside = registry.MARKER.sub("", text)
    return re.findall(r"(?:^\|.*\|\n)+", outside, re.MULTILINE)


def test_a_run_folder_becomes_a_record(trained_tiny_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(trained_tiny_run, run)
    (run / ".hydra").mkdir(exist_ok=True)
    (run / ".hydra" / "overrides.yaml").write_text("- data=csv\n- seed=0\n")  # as train.py's Hydra writes it
    record = registry.record_from_run(run, "tiny")
    assert record.command == "data=csv"
    assert record.series == "tiny" and record.seed == 0 and record.minutes is not None
    assert record.metrics["updates"] > 0 and record.threads and record.device == "cpu"


@pytest.mark.parametrize("record", [r for r in registry.load_records() if not r.command.startswith("scripts/")],
                         ids=lambda r: f"{r.series}-{r.seed}")  # fmt: skip
def test_every_records_command_still_composes(record):
    overrides = [o for o in record.command.split() if not o.startswith("+sweep=")]
    compose_config(*overrides, *([f"seed={record.seed}"] if record.seed is not None else []))


def test_the_sweep_reports_kept_in_docs_link_nothing_that_does_not_exist():
    link = re.compile(r"\]\(([^)\s#]+)\)")
    reports = (ROOT / "docs" / "img").rglob("*.md")
    missing = [
        f"{page}: {target}" for page in reports for target in link.findall(page.read_text())
        if "://" not in target and not (page.parent / target.replace("%20", " ")).exists()
    ]  # fmt: skip
    assert not missing, missing[:3]
