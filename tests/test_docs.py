"""The README and docs/: every relative link and picture resolves, the README stays a first page, and the site
builds with ``mkdocs build --strict`` (a broken link, a missing picture or a page left out of the nav fails it)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def relative_links(page: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.DOTALL)  # code blocks hold no links
    return [t for t in LINK.findall(text) if not t.startswith(("http://", "https://", "mailto:", "#"))]


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_relative_link_and_picture_resolves(page):
    missing = [t for t in relative_links(page) if not (page.parent / t.split("#")[0]).exists()]
    assert not missing, f"{page.relative_to(ROOT)} links to missing files: {missing}"


def test_the_readme_is_a_first_page():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 200
    assert all(f"docs/{p.name}" in "\n".join(lines) for p in PAGES[1:] if p.name != "index.md")  # links each page


def test_the_site_builds_strictly(tmp_path):
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": ""},
    )
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "site" / "curing" / "index.html").is_file()


def test_the_configuration_page_names_every_option_of_every_group():
    """docs/configuration.md's table: one row per config group, naming each of its options in conf/."""
    rows = {
        m.group(1): m.group(2)
        for m in re.finditer(r"^\| `(\w+)`[^|]*\| ([^|]*) \|", (ROOT / "docs" / "configuration.md").read_text(), re.M)
    }
    stale = {}
    for group in sorted(p for p in (ROOT / "conf").iterdir() if p.is_dir()):
        options = {p.stem for p in group.glob("*.yaml")}
        listed = set(re.findall(r"`(\w+)`", rows.get(group.name, "")))
        if options - listed:
            stale[group.name] = sorted(options - listed)
    assert not stale, f"docs/configuration.md does not name these options of conf/: {stale}"


def test_the_contributors_layout_names_every_module_and_every_conf_group():
    layout = (ROOT / "docs" / "contributing.md").read_text()
    modules = sorted(p.name for p in (ROOT / "gan").rglob("*.py") if p.name != "__init__.py")
    groups = sorted(p.name for p in (ROOT / "conf").iterdir() if p.is_dir())
    missing = [m for m in modules if m not in layout] + [f"{g}/" for g in groups if f"{g}/" not in layout]
    assert not missing, f"docs/contributing.md's layout does not name {missing}"


def test_no_page_states_a_test_count_by_hand():
    for page in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        counted = re.search(r"\b\d{3} tests\b|\ball \d{3}\b", page.read_text())
        assert counted is None, f"{page.name}: {counted[0]}"
