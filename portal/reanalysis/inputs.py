"""Reading the stored bytes of a run's dataset versions as tables, and what the
builder shows of them (column names, frequent values).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from flask import Flask

import analysis
from datasets.reading import open_table
from datasets.storage import local_copy
from portal.data import services as data_services
from portal.data.models import DatasetVersion


def _missing_values(version: DatasetVersion) -> set[str]:
    return set(version.schema.get("missingValues", [""])) | {""}


def read_frame(app: Flask, version: DatasetVersion, sha256: str) -> pd.DataFrame:
    """The version's table as a data frame: a column whose every present value is a number
    becomes numeric; others stay text (so a non-numeric count is reported, not hidden)."""
    if version.sha256 != sha256:
        raise analysis.AnalysisInputError(
            "the stored bytes do not match the recorded SHA-256",
            study=version.dataset.slug,
            field="sha256",
        )
    store = data_services.blob_store(app)
    missing = _missing_values(version)
    with local_copy(store, sha256, verify=True) as path:
        table = open_table(path, filename=version.filename, dialect=version.dialect)
        columns: dict[str, list[Any]] = {name: [] for name in table.header}
        for batch in table.batches():
            for name, array in zip(table.header, batch.columns, strict=True):
                columns[name].extend(array.to_pylist() if array is not None else [])
    frame = pd.DataFrame(
        {
            name: pd.Series([None if v in missing else v for v in values], dtype=object)
            for name, values in columns.items()
        }
    )
    for name in frame.columns:
        present = frame[name].dropna()
        converted = pd.to_numeric(present, errors="coerce")
        if len(present) and not converted.isna().any():
            frame[name] = pd.to_numeric(frame[name], errors="coerce")
    return frame


def column_names(version: DatasetVersion) -> list[str]:
    return [f["name"] for f in version.schema.get("fields", [])]


def top_values(version: DatasetVersion) -> dict[str, list[str]]:
    """Each column's most frequent values, from the version's report."""
    return {
        c["name"]: [str(t["value"]) for t in c.get("top", [])]
        for c in version.report.get("columns", [])
    }
