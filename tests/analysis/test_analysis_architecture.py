"""The analysis core stays plain Python: no web framework, database or portal imports."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import analysis

FORBIDDEN = ("flask", "sqlalchemy", "portal", "werkzeug", "flask_login", "flask_wtf")
PACKAGE = Path(analysis.__file__).parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_module_imports_the_web_stack():
    offenders = {
        str(p.relative_to(PACKAGE)): sorted(imported_modules(p) & set(FORBIDDEN))
        for p in PACKAGE.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_importing_everything_loads_none_of_them():
    code = (
        "import sys\n"
        "import analysis, analysis.plots, analysis.commands, analysis.ipd\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
