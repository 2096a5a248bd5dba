"""Screening a whole table: every column, and the re-identification risk over them."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..detect import Dialect, Progress
from ..errors import DatasetError
from ..fieldtypes import (
    combine_hashes,
    hash_values,
    missing_mask,
)
from ..inference import table_and_schema
from ..limits import DEFAULT_LIMITS, Limits
from ..reading import Table
from .columns import _ColumnScreen
from .findings import BLOCK, DIRECT, Finding, ScreeningReport
from .kanonymity import _k_anonymity
from .rules import _REFERENCE_DATE_NAME, _norm


def _reference_date(schema: dict[str, Any]) -> str | None:
    dates: list[str] = [
        f["name"] for f in schema["fields"] if f.get("type") in ("date", "datetime")
    ]
    for name in dates:
        if re.fullmatch(_REFERENCE_DATE_NAME, _norm(name)):
            return name
    return dates[0] if dates else None


def screen(
    source: str | os.PathLike[str] | Table,
    schema: dict[str, Any] | None = None,
    *,
    quasi_identifiers: Sequence[str] | None = None,
    k: int = 5,
    filename: str | None = None,
    dialect: Dialect | dict[str, Any] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    progress: Progress | None = None,
    ranges: Mapping[str, tuple[Any, Any]] | None = None,
) -> ScreeningReport:
    """Screen a file for direct and quasi-identifiers.

    ``schema`` (typically the inferred or edited one) tells which columns are
    dates or numbers; it is inferred if omitted. ``quasi_identifiers`` are
    the columns the uploader marked; k-anonymity is computed over them, and
    the re-identification risk over them and the columns recognised as
    quasi-identifiers. ``ranges`` (column name -> (min, max), from the
    validation report) lets whole-number columns too short to hold national
    numbers go unread.
    """
    table, schema = table_and_schema(
        source, schema, filename=filename, dialect=dialect, limits=limits, progress=progress
    )
    # Every column is screened, even one an edited schema left out.
    fields = list(schema["fields"][: table.width])
    for pos in range(len(fields), table.width):
        fields.append({"name": table.header[pos] or f"field{pos + 1}", "type": "string"})
    if k < 1:
        raise DatasetError("k must be at least 1.")
    qi = list(quasi_identifiers or [])
    names = [f["name"] for f in fields]
    for name in qi:
        if name not in names:
            raise DatasetError(
                f"Quasi-identifier {name!r} is not a column of the table.", field=name
            )
    qi_pos = [names.index(n) for n in qi]
    columns = [
        _ColumnScreen(pos, fdef, schema, long_integers=_long_integers(fdef["name"], ranges))
        for pos, fdef in enumerate(fields)
    ]
    risk_pos = sorted(
        set(qi_pos) | {c.position for c in columns if c.quasi_kind() or c.is_postcode}
    )
    k_hashes: list[np.ndarray] = []
    r_hashes: list[np.ndarray] = []
    k_rows: list[np.ndarray] = []
    rows_screened = 0
    active = [c for c in columns if c.needed or c.position in qi_pos]
    texts = sum(1 for c in active if c.distinct is not None)
    for c in active:  # keep the distinct-value sets of wide files bounded in total
        if c.distinct is not None:
            c.distinct.cap = max(1_000, 2_000_000 // max(1, texts))
    wanted = sorted({c.position for c in active} | set(risk_pos))
    for batch in table.batches(columns=wanted or [0], progress=progress):
        rows_screened += batch.num_rows
        if not batch.num_rows:
            continue
        for col in active:
            col.feed(batch.columns[col.position], batch.row_numbers)
        if risk_pos:
            parts = {}
            for pos in risk_pos:
                arr = batch.columns[pos]
                miss = missing_mask(arr, columns[pos].missing)
                # All missing codes form one group ("unknown"), as an attacker
                # would see them.
                text = pc.if_else(pa.array(miss), "", arr)
                parts[pos] = hash_values(text.to_numpy(zero_copy_only=False))
            if qi_pos:
                k_hashes.append(combine_hashes([parts[pos] for pos in qi_pos]))
            r_hashes.append(combine_hashes([parts[pos] for pos in risk_pos]))
            k_rows.append(batch.row_numbers.astype(np.uint32))
    reference = _reference_date(schema)
    findings: list[Finding] = []
    suggested: list[str] = []
    for col in columns:
        found = col.findings(reference)
        findings.extend(found)
        kind = col.quasi_kind()
        direct = [f for f in found if f.category == DIRECT and f.kind != "age-over-89"]
        if kind and col.nonmissing and not direct:
            findings.append(col._quasi(kind))
            suggested.append(col.name)
    findings.sort(key=lambda f: (f.severity != BLOCK, f.category != DIRECT, f.column_number or 0))
    kanon = _k_anonymity(qi, k, k_hashes, k_rows) if qi else None
    risk = _k_anonymity([names[pos] for pos in risk_pos], k, r_hashes, k_rows) if risk_pos else None
    return ScreeningReport(
        findings=findings,
        suggested_quasi_identifiers=suggested,
        k_anonymity=kanon,
        rows_screened=rows_screened,
        risk=risk,
    )


def _long_integers(name: str, ranges: Mapping[str, tuple[Any, Any]] | None) -> bool:
    """Whether a whole-number column may hold nine- or ten-digit numbers."""
    if ranges is None or name not in ranges:
        return True
    low, high = ranges[name]
    try:
        return max(abs(float(low)), abs(float(high))) >= 1e8
    except (TypeError, ValueError):
        return True
