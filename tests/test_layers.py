"""gan/ reads top to bottom: each layer imports only what stands below it.

base (gan/*.py: errors, rules, logs, config, file_safety) -> data -> models -> evaluation -> training
-> the face (gan/api/, gan/command_errors.py, gan/__init__.py) and scripts/
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = {"data": 1, "models": 2, "evaluation": 3, "training": 4}
FACE = {"api", "command_errors", "__init__"}


def layer(module: str) -> int:
    """gan.<layer>.x -> its layer; gan.api, gan.command_errors and the package's face -> 5; the base modules -> 0."""
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in FACE:
        return 5
    return LAYERS.get(parts[1], 0)


def imports(path: Path) -> list[tuple[str, int]]:
    """Every ``gan`` module ``path`` imports, at any depth of the file (imports inside functions count too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and node.module.split(".")[0] == "gan":
            found.append((node.module, node.lineno))
        elif isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names if a.name.split(".")[0] == "gan"]
    return found


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def test_no_import_runs_back_up():
    upward = []
    for path in sorted((ROOT / "gan").rglob("*.py")):
        name = module_name(path)
        for target, line in imports(path):
            if target != "gan" and layer(target) > layer(name):
                upward.append(f"{path.relative_to(ROOT)}:{line} ({name}) imports {target}")
    assert upward == []


def test_the_check_sees_an_import_that_runs_back_up(tmp_path):
    # the rule above, on a file that breaks it: a model importing the training layer
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from gan.training.fit import train\n")
    assert [layer(t) for t, _ in imports(bad)] == [4] and layer("gan.models.gan") == 2
    assert layer("gan.errors") == 0 and layer("gan.api") == 5 and layer("gan") == 5


def test_importing_the_package_is_cheap():
    # `import gan` must not pull in torch, pandas or matplotlib: every script's --help starts from it
    import subprocess
    import sys

    code = "import gan, sys; print(sorted(m for m in ('torch', 'pandas', 'matplotlib') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]"
    assert callable(__import__("gan").load)  # still handed out, on first use
