"""Compare two versions of a table cell by cell.

Rows are matched on a key column (the participant identifier, or a column the
caller names). The comparison reports the rows added and removed, the rows whose
cells changed, how many cells changed in each column, the columns added, removed
or retyped, and every changed cell (key, column, old value, new value).

What counts as a change follows each version's data dictionary, so that a file
written again by another program does not look changed: surrounding spaces are
ignored, a cell holding one of its column's missing-value codes is missing (so
``NA`` in one version and an empty cell in the other are the same), and in a
column that holds numbers in both versions ``5`` and ``5.0`` are the same value
(if every cell reads as a number). Any other column whose type changed is compared
as text.

Both files are read through :func:`datasets.reading.open_table`, keeping only the
key and the columns both versions share, as Arrow strings; matching is one Arrow
hash join, and the changed cells are found column by column with Arrow kernels,
so no Python code runs per row. Memory grows with the key and shared columns,
held compactly, never with Python objects per cell.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .cells import csv_line
from .errors import DatasetError
from .limits import DEFAULT_LIMITS, Limits
from .reading import open_table
from .schema import missing_values
from .screening import mask

NUMERIC = ("integer", "number")
#: How many key values of each kind an error message names.
EXAMPLES = 5
#: Rows of the changes table turned into Python values at a time.
SLICE = 10_000
#: The header of the changes CSV.
CHANGES_HEADER = ("key", "change", "column", "old value", "new value")


class CompareError(DatasetError):
    """The versions cannot be matched row by row (no key, missing or repeated keys)."""

    code = "compare-error"


@dataclass(frozen=True)
class Side:
    """One version as stored: its file, how to read it, and its data dictionary."""

    path: str | os.PathLike[str]
    schema: dict[str, Any]
    label: str
    filename: str | None = None
    dialect: dict[str, Any] | None = None


@dataclass(frozen=True)
class CellChange:
    key: str
    column: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class Retyped:
    column: str
    old: str
    new: str


@dataclass
class Comparison:
    """What changed from ``old`` to ``new``. ``cells`` holds the first changed cells
    (in the new file's row order, then column order); :meth:`csv_lines` gives all."""

    key: str
    old_label: str
    new_label: str
    rows_old: int
    rows_new: int
    rows_added: int
    rows_removed: int
    rows_changed: int
    columns_added: list[str]
    columns_removed: list[str]
    columns_retyped: list[Retyped]
    #: Changed cells per shared column, in the new file's column order (zeros kept).
    column_changes: dict[str, int]
    cells_changed: int
    cells: list[CellChange]
    added_keys: list[str]
    removed_keys: list[str]
    notes: list[str] = field(default_factory=list)
    _changes: pa.Table | None = field(default=None, repr=False)
    _added: pa.Array | None = field(default=None, repr=False)
    _removed: pa.Array | None = field(default=None, repr=False)

    @property
    def rows_unchanged(self) -> int:
        return self.rows_old - self.rows_removed - self.rows_changed

    @property
    def identical(self) -> bool:
        return not (
            self.rows_added
            or self.rows_removed
            or self.cells_changed
            or self.columns_added
            or self.columns_removed
            or self.columns_retyped
        )

    def cell_range(self, start: int, count: int) -> list[CellChange]:
        """Changed cells ``start`` to ``start + count`` (for paging through them)."""
        if self._changes is None or start >= self._changes.num_rows or count <= 0:
            return []
        part = self._changes.slice(max(0, start), count).to_pydict()
        return [
            CellChange(k, c, o, n)
            for k, c, o, n in zip(
                part["key"], part["column"], part["old"], part["new"], strict=True
            )
        ]

    def csv_lines(self) -> Iterator[str]:
        """Every change as neutralised CSV lines: one per changed cell, then one per row
        added and removed."""
        yield csv_line(CHANGES_HEADER)
        if self._changes is not None:
            for start in range(0, self._changes.num_rows, SLICE):
                part = self._changes.slice(start, SLICE).to_pydict()
                for key, column, old, new in zip(
                    part["key"], part["column"], part["old"], part["new"], strict=True
                ):
                    yield csv_line((key, "changed", column, old, new))
        for keys, change in ((self._added, "row added"), (self._removed, "row removed")):
            if keys is None:
                continue
            for start in range(0, len(keys), SLICE):
                for key in keys.slice(start, SLICE).to_pylist():
                    yield csv_line((key, change, "", "", ""))

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "old": self.old_label,
            "new": self.new_label,
            "rows": {
                "old": self.rows_old,
                "new": self.rows_new,
                "added": self.rows_added,
                "removed": self.rows_removed,
                "changed": self.rows_changed,
                "unchanged": self.rows_unchanged,
            },
            "columns": {
                "added": self.columns_added,
                "removed": self.columns_removed,
                "retyped": [
                    {"column": r.column, "old_type": r.old, "new_type": r.new}
                    for r in self.columns_retyped
                ],
                "changes": self.column_changes,
            },
            "cells_changed": self.cells_changed,
            "cells": [
                {"key": c.key, "column": c.column, "old": c.old, "new": c.new} for c in self.cells
            ],
            "cells_shown": len(self.cells),
            "added_keys": self.added_keys,
            "removed_keys": self.removed_keys,
            "notes": self.notes,
            "identical": self.identical,
        }


def _names(schema: dict[str, Any]) -> list[str]:
    return [f["name"] for f in schema.get("fields", [])]


def _field(schema: dict[str, Any], name: str) -> dict[str, Any]:
    return next(f for f in schema.get("fields", []) if f["name"] == name)


def default_key(old: dict[str, Any], new: dict[str, Any]) -> str | None:
    """The column that identifies a row in both versions: the new version's primary
    key, else its first column with the participant identifier role (then the old
    version's), when the other version has it too."""
    shared = set(_names(old)) & set(_names(new))
    for schema in (new, old):
        primary = schema.get("primaryKey")
        keys = [primary] if isinstance(primary, str) else list(primary or [])
        if len(keys) == 1 and keys[0] in shared:
            return str(keys[0])
        for fdef in schema.get("fields", []):
            if fdef.get("role") == "participant_id" and fdef["name"] in shared:
                return str(fdef["name"])
    return None


def _read(side: Side, names: Sequence[str], limits: Limits) -> pa.Table:
    """The named columns of a version as Arrow strings, plus its file row numbers."""
    table = open_table(side.path, filename=side.filename, dialect=side.dialect, limits=limits)
    missing = [name for name in names if name not in table.header]
    if missing:
        raise CompareError(
            f"{side.label}'s file has no column {missing[0]!r} although its data dictionary "
            "lists it.",
            field=missing[0],
        )
    positions = [table.header.index(name) for name in names]
    labels = [f"c{i}" for i in range(len(names))]
    parts = []
    for batch in table.batches(columns=positions):
        arrays = [batch.columns[p] for p in positions]
        parts.append(
            pa.Table.from_arrays(
                [*arrays, pa.array(batch.row_numbers, pa.int64())], names=[*labels, "row"]
            )
        )
    if not parts:
        schema = pa.schema([(label, pa.string()) for label in labels] + [("row", pa.int64())])
        return schema.empty_table()
    return pa.concat_tables(parts).combine_chunks()


def _text(values: pa.ChunkedArray | pa.Array, codes: Collection[str]) -> pa.Array:
    """Cells without surrounding spaces, with missing-value codes as nulls."""
    trimmed = pc.utf8_trim_whitespace(values)
    codes = {code.strip() for code in codes} | {""}
    is_missing = pc.is_in(trimmed, value_set=pa.array(sorted(codes), pa.string()))
    return pc.if_else(is_missing, pa.scalar(None, pa.string()), trimmed)


def _number(values: pa.Array) -> pa.Array | None:
    try:
        return pc.cast(values, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _changed(old: pa.Array, new: pa.Array) -> pa.Array:
    """True where two aligned columns differ; two missing cells are equal, and so
    are two NaNs."""
    equal = pc.fill_null(pc.equal(old, new), False)
    both_missing = pc.and_(pc.is_null(old), pc.is_null(new))
    same = pc.or_(equal, both_missing)
    if pa.types.is_floating(old.type):
        same = pc.or_(same, pc.fill_null(pc.and_(pc.is_nan(old), pc.is_nan(new)), False))
    return pc.invert(same)


def _check_keys(keys: pa.Array, rows: pa.Array, side: Side, key: str) -> None:
    empty = pc.is_null(keys)
    count = pc.sum(empty).as_py() or 0
    if count:
        where = pc.filter(rows, empty).slice(0, EXAMPLES).to_pylist()
        raise CompareError(
            f"{side.label} has {count:,} row{'s' if count != 1 else ''} with no value in the "
            f"key column {key!r} (rows {', '.join(map(str, where))}"
            f"{', ...' if count > EXAMPLES else ''}), so they cannot be matched. Fill them in "
            "or choose another key column.",
            field="key",
        )
    counted = pa.table({"k": keys}).group_by("k").aggregate([("k", "count")])
    repeated = counted.filter(pc.greater(counted["k_count"], 1))
    if repeated.num_rows:
        examples = sorted(repeated["k"].to_pylist())[:EXAMPLES]
        raise CompareError(
            f"{side.label} has {repeated.num_rows:,} key value"
            f"{'s' if repeated.num_rows != 1 else ''} in {key!r} used by more than one row "
            f"(for example {', '.join(repr(v) for v in examples)}), so rows cannot be matched "
            "one to one. Choose a column whose values are all different.",
            field="key",
        )


def compare(
    old: Side,
    new: Side,
    *,
    key: str | None = None,
    limit: int = 200,
    masked: Collection[str] = frozenset(),
    limits: Limits = DEFAULT_LIMITS,
) -> Comparison:
    """Compare ``old`` with ``new`` row by row on ``key`` (default: :func:`default_key`).

    ``limit`` bounds the changed cells and keys kept for display; ``masked`` names
    columns whose values are shown masked (direct identifiers). Raises
    :class:`CompareError` when the rows cannot be matched.
    """
    old_names, new_names = _names(old.schema), _names(new.schema)
    if key is None:
        key = default_key(old.schema, new.schema)
        if key is None:
            raise CompareError(
                "Neither version's data dictionary marks a participant identifier present "
                "in both; choose the column that identifies a row.",
                field="key",
            )
    for side, names in ((old, old_names), (new, new_names)):
        if key not in names:
            raise CompareError(
                f"{side.label} has no column {key!r} to match rows on; choose a column "
                "both versions have.",
                field="key",
            )
    shared = [name for name in new_names if name in old_names and name != key]
    types = {
        name: (
            _field(old.schema, name).get("type", "string"),
            _field(new.schema, name).get("type", "string"),
        )
        for name in shared
    }
    retyped = [Retyped(name, a, b) for name, (a, b) in types.items() if a != b]
    numeric = {name for name, pair in types.items() if all(t in NUMERIC for t in pair)}
    notes = [
        f"{r.column!r} changed type from {r.old} to {r.new}; its values are compared as "
        + ("numbers." if r.column in numeric else "text.")
        for r in retyped
    ]

    columns = [key, *shared]
    tables = []
    for side, prefix in ((old, "o"), (new, "n")):
        raw = _read(side, columns, limits)
        key_field = _field(side.schema, key)
        keys = _text(raw["c0"], missing_values(side.schema, key_field))
        _check_keys(keys, raw["row"], side, key)
        data: dict[str, pa.Array] = {"k": keys, f"{prefix}row": raw["row"]}
        for index, name in enumerate(shared, start=1):
            codes = missing_values(side.schema, _field(side.schema, name))
            data[f"{prefix}t{index}"] = _text(raw[f"c{index}"], codes)
            data[f"{prefix}r{index}"] = raw[f"c{index}"].combine_chunks()
        tables.append(pa.table(data))
    left, right = tables

    joined = left.join(right, keys="k", join_type="full outer")
    added_mask = pc.is_null(joined["orow"])
    removed_mask = pc.is_null(joined["nrow"])
    matched = joined.filter(pc.invert(pc.or_(added_mask, removed_mask))).sort_by("nrow")
    added = joined.filter(added_mask).sort_by("nrow")["k"].combine_chunks()
    removed = joined.filter(removed_mask).sort_by("orow")["k"].combine_chunks()

    column_changes: dict[str, int] = {}
    any_change = pa.array(np.zeros(matched.num_rows, dtype=bool))
    pieces = []
    for index, name in enumerate(shared, start=1):
        before = matched[f"ot{index}"].combine_chunks()
        after = matched[f"nt{index}"].combine_chunks()
        if name in numeric:
            numbers = _number(before), _number(after)
            if numbers[0] is not None and numbers[1] is not None:
                before, after = numbers
        changed = _changed(before, after)
        count = pc.sum(changed).as_py() or 0
        column_changes[name] = count
        if not count:
            continue
        any_change = pc.or_(any_change, changed)
        shown = _masked if name in masked else _as_is
        pieces.append(
            pa.table(
                {
                    "row": pc.filter(matched["nrow"], changed),
                    "position": pa.array(np.full(count, index, dtype=np.int32)),
                    "key": _shown_keys(pc.filter(matched["k"], changed), key in masked),
                    "column": pa.array([name] * count, pa.string()),
                    # What the file says, not the normalised value, so the cell is recognisable.
                    "old": shown(_or_null(pc.filter(matched[f"or{index}"], changed))),
                    "new": shown(_or_null(pc.filter(matched[f"nr{index}"], changed))),
                }
            )
        )
    changes = (
        pa.concat_tables(pieces).sort_by([("row", "ascending"), ("position", "ascending")])
        if pieces
        else None
    )
    first = changes.slice(0, limit).to_pydict() if changes is not None else None
    cells = (
        [
            CellChange(k, c, o, n)
            for k, c, o, n in zip(
                first["key"], first["column"], first["old"], first["new"], strict=True
            )
        ]
        if first
        else []
    )
    added = _shown_keys(added, key in masked)
    removed = _shown_keys(removed, key in masked)
    return Comparison(
        key=key,
        old_label=old.label,
        new_label=new.label,
        rows_old=left.num_rows,
        rows_new=right.num_rows,
        rows_added=len(added),
        rows_removed=len(removed),
        rows_changed=pc.sum(any_change).as_py() or 0,
        columns_added=[name for name in new_names if name not in old_names],
        columns_removed=[name for name in old_names if name not in new_names],
        columns_retyped=retyped,
        column_changes=column_changes,
        cells_changed=sum(column_changes.values()),
        cells=cells,
        added_keys=added.slice(0, limit).to_pylist(),
        removed_keys=removed.slice(0, limit).to_pylist(),
        notes=notes,
        _changes=changes,
        _added=added,
        _removed=removed,
    )


def _or_null(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The cell as written, an empty one as null (an empty CSV field)."""
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    return pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)


def _as_is(values: pa.Array) -> pa.Array:
    return values


def _masked(values: pa.Array) -> pa.Array:
    return pa.array([mask(v) if v else v for v in values.to_pylist()], pa.string())


def _shown_keys(keys: pa.Array | pa.ChunkedArray, hidden: bool) -> pa.Array:
    keys = keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys
    return _masked(keys) if hidden else keys


def write_changes_csv(comparison: Comparison, path: str | os.PathLike[str]) -> Path:
    """Write :meth:`Comparison.csv_lines` to ``path`` (UTF-8)."""
    target = Path(path)
    with target.open("w", encoding="utf-8", newline="") as out:
        out.writelines(comparison.csv_lines())
    return target
