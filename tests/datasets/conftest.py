"""Shared helpers for the datasets tests: small files written on the fly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from datasets import demo
from datasets.reading import Table


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """write("name.csv", text_or_bytes, encoding="utf-8") -> path."""

    def _write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        if isinstance(content, str):
            content = content.encode(encoding)
        path.write_bytes(content)
        return path

    return _write


@pytest.fixture
def read_rows() -> Callable[[Table], tuple[list[Any], list[Any]]]:
    """read_rows(table) -> ([(row number, [cells])], [(code, row, column)]): every
    row and issue of the table, read through the public API."""

    def _read_rows(table: Table) -> tuple[list[Any], list[Any]]:
        out, issues = [], []
        for batch in table.batches():
            cols = [c.to_pylist() for c in batch.columns]
            for i, number in enumerate(batch.row_numbers.tolist()):
                out.append((number, [c[i] for c in cols]))
            issues.extend((i.code, i.row, i.column) for i in batch.issues)
        return out, sorted(issues, key=lambda t: t[1])

    return _read_rows


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every demo dataset materialised once per test session."""
    directory = tmp_path_factory.mktemp("demo")
    for ds in demo.catalogue():
        demo.materialise(ds.key, directory)
    return directory
