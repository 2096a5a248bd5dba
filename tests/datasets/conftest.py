"""Shared helpers for the datasets tests: small files written on the fly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from datasets import demo


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


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every demo dataset materialised once per test session."""
    directory = tmp_path_factory.mktemp("demo")
    for ds in demo.catalogue():
        demo.materialise(ds.key, directory)
    return directory
