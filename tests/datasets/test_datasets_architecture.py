"""datasets/ is plain Python: the web app, the CLI and workers all call it,
so it must never pull in the web framework, the ORM or the portal package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

MODULES = [
    "datasets",
    "datasets.reading",
    "datasets.batch",
    "datasets.csvfile",
    "datasets.excel",
    "datasets.parquet",
    "datasets.schema",
    "datasets.inference",
    "datasets.suggestions",
    "datasets.validation",
    "datasets.screening",
    "datasets.fixes",
    "datasets.storage",
    "datasets.export",
    "datasets.metadata",
    "datasets.demo",
    "datasets.commands",
    "datasets.ingest",
]


def test_no_web_framework_orm_or_portal_imports():
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in MODULES)
        + "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'flask', 'sqlalchemy', 'portal', 'werkzeug'})\n"
        "assert not bad, bad\n"
    )
    root = Path(__file__).parents[2]
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr


def test_source_does_not_mention_them_either():
    root = Path(__file__).parents[2] / "datasets"
    for path in root.glob("*.py"):
        text = path.read_text()
        for word in ("import flask", "from flask", "sqlalchemy", "from portal", "import portal"):
            assert word not in text, (path.name, word)
