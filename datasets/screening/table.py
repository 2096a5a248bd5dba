"""Screening a whole table: every column, and the re-identification risk over them."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..batch import Batch
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
    screener = Screener(table, schema, quasi_identifiers=quasi_identifiers, k=k, ranges=ranges)
    for batch in table.batches(columns=screener.wanted or [0], progress=progress):
        screener.feed(batch)
    return screener.report(schema)


class Screener:
    """Screening set up for a table and a (normalised) schema, fed batch by batch.

    ``plan`` is everything about the columns that the screening of their cells
    depends on: two screeners with equal plans fed the same batches find the same.
    """

    def __init__(
        self,
        table: Table,
        schema: dict[str, Any],
        *,
        quasi_identifiers: Sequence[str] | None = None,
        k: int = 5,
        ranges: Mapping[str, tuple[Any, Any]] | None = None,
    ) -> None:
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
        self.k = k
        self.qi = qi
        self.names = names
        self.qi_pos = [names.index(n) for n in qi]
        self.columns = [
            _ColumnScreen(pos, fdef, schema, long_integers=_long_integers(fdef["name"], ranges))
            for pos, fdef in enumerate(fields)
        ]
        self.plan = [
            (
                {key: v for key, v in c.fdef.items() if key not in _NOT_SCREENED},
                c.missing,
                c.scan_digits,
            )
            for c in self.columns
        ]
        self.risk_pos = sorted(
            set(self.qi_pos) | {c.position for c in self.columns if c.quasi_kind() or c.is_postcode}
        )
        self.k_hashes: list[np.ndarray] = []
        self.r_hashes: list[np.ndarray] = []
        self.k_rows: list[np.ndarray] = []
        self.rows_screened = 0
        self.active = [c for c in self.columns if c.needed or c.position in self.qi_pos]
        texts = sum(1 for c in self.active if c.distinct is not None)
        for c in self.active:  # keep the distinct-value sets of wide files bounded in total
            if c.distinct is not None:
                c.distinct.cap = max(1_000, 2_000_000 // max(1, texts))
        #: The columns the screening reads.
        self.wanted = sorted({c.position for c in self.active} | set(self.risk_pos))

    def feed(self, batch: Batch) -> None:
        self.rows_screened += batch.num_rows
        if not batch.num_rows:
            return
        for col in self.active:
            col.feed(batch.columns[col.position], batch.row_numbers)
        if self.risk_pos:
            parts = {}
            for pos in self.risk_pos:
                arr = batch.columns[pos]
                miss = missing_mask(arr, self.columns[pos].missing)
                # All missing codes form one group ("unknown"), as an attacker
                # would see them.
                text = pc.if_else(pa.array(miss), "", arr)
                parts[pos] = hash_values(text.to_numpy(zero_copy_only=False))
            if self.qi_pos:
                self.k_hashes.append(combine_hashes([parts[pos] for pos in self.qi_pos]))
            self.r_hashes.append(combine_hashes([parts[pos] for pos in self.risk_pos]))
            self.k_rows.append(batch.row_numbers.astype(np.uint32))

    def report(self, schema: dict[str, Any]) -> ScreeningReport:
        reference = _reference_date(schema)
        findings: list[Finding] = []
        suggested: list[str] = []
        for col in self.columns:
            found = col.findings(reference)
            findings.extend(found)
            kind = col.quasi_kind()
            direct = [f for f in found if f.category == DIRECT and f.kind != "age-over-89"]
            if kind and col.nonmissing and not direct:
                findings.append(col._quasi(kind))
                suggested.append(col.name)
        findings.sort(
            key=lambda f: (f.severity != BLOCK, f.category != DIRECT, f.column_number or 0)
        )
        qi, k = self.qi, self.k
        kanon = _k_anonymity(qi, k, self.k_hashes, self.k_rows) if qi else None
        risk = (
            _k_anonymity([self.names[p] for p in self.risk_pos], k, self.r_hashes, self.k_rows)
            if self.risk_pos
            else None
        )
        return ScreeningReport(
            findings=findings,
            suggested_quasi_identifiers=suggested,
            k_anonymity=kanon,
            rows_screened=self.rows_screened,
            risk=risk,
        )


#: Field properties that describe a column to people and change nothing the
#: screening reads.
_NOT_SCREENED = frozenset(("title", "description", "unit", "role", "constraints", "example"))


def _long_integers(name: str, ranges: Mapping[str, tuple[Any, Any]] | None) -> bool:
    """Whether a whole-number column may hold nine- or ten-digit numbers."""
    if ranges is None or name not in ranges:
        return True
    low, high = ranges[name]
    try:
        return max(abs(float(low)), abs(float(high))) >= 1e8
    except (TypeError, ValueError):
        return True
