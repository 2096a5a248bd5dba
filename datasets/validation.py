"""Check a file against a (possibly user-edited) Table Schema.

Fields are matched to columns by position, as frictionless does; a header
that differs from the field name is an ``incorrect-label`` error. Every
problem is reported with its row (header = row 1, first data row = row 2)
and column (1-based position), capped at ``max_errors_per_code`` stored
issues per code with exact totals in ``error_counts``.

Duplicate detection for ``unique`` fields and the primary key keeps a 64-bit
hash and a 32-bit row number per row (12 bytes a row, about 12 MB per million
rows, per unique field or key); everything else uses bounded memory.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .detect import Dialect, Progress
from .fieldtypes import (
    Checker,
    NumericChecker,
    TemporalChecker,
    checker_for,
    combine_hashes,
    hash_values,
    missing_mask,
)
from .issues import Issue, IssueCollector, truncate
from .limits import DEFAULT_LIMITS, Limits
from .masks import bool_mask
from .reading import Table, open_table
from .report import Structure, ValidationReport, add_table_issues, build_report
from .schema import missing_values, normalise_schema
from .stats import ColumnStats, distinct_cap


class _DuplicateFinder:
    """Collects (hash, row) pairs and reports repeats at the end."""

    def __init__(self) -> None:
        self.hashes: list[np.ndarray] = []
        self.rows: list[np.ndarray] = []

    def add(self, hashes: np.ndarray, rows: np.ndarray) -> None:
        if hashes.size:
            self.hashes.append(hashes)
            # A file under the size limit has far fewer than 2**32 rows.
            self.rows.append(rows.astype(np.uint32))

    def duplicates(self) -> list[tuple[int, int]]:
        """(row, first row with the same value) for every repeat, by row."""
        if not self.hashes:
            return []
        h = np.concatenate(self.hashes)
        r = np.concatenate(self.rows)
        ordered = np.sort(h)
        if not np.any(ordered[1:] == ordered[:-1]):
            return []  # the common case, found without the slower argsort
        order = np.argsort(h, kind="stable")
        hs = h[order]
        same = np.empty(hs.size, dtype=bool)
        same[0] = False
        same[1:] = hs[1:] == hs[:-1]
        if not same.any():
            return []
        starts = np.where(~same, np.arange(hs.size), 0)
        first = np.maximum.accumulate(starts)
        rows_sorted = r[order]
        pairs = [(int(rows_sorted[i]), int(rows_sorted[first[i]])) for i in np.flatnonzero(same)]
        return sorted(pairs)


class _FieldValidator:
    def __init__(
        self,
        position: int,
        fdef: dict[str, Any],
        schema: dict[str, Any],
        errors: IssueCollector,
        in_primary_key: bool,
        cap: int,
    ) -> None:
        self.position = position
        self.fdef = fdef
        self.name = fdef["name"]
        self.checker: Checker = checker_for(fdef)
        self.missing = missing_values(schema, fdef)
        self.constraints: dict[str, Any] = fdef.get("constraints", {}) or {}
        self.errors = errors
        self.stats = ColumnStats(
            self.name,
            self.checker.type,
            fdef.get("format") if fdef.get("format") != "default" else None,
            cap,
        )
        self.in_primary_key = in_primary_key
        self.unique = _DuplicateFinder() if self.constraints.get("unique") else None
        c = self.constraints
        parse = self.checker.parse_scalar
        self.minimum = parse(c["minimum"]) if "minimum" in c else None
        self.maximum = parse(c["maximum"]) if "maximum" in c else None
        self.xminimum = parse(c["exclusiveMinimum"]) if "exclusiveMinimum" in c else None
        self.xmaximum = parse(c["exclusiveMaximum"]) if "exclusiveMaximum" in c else None
        self.enum = [parse(v) for v in c["enum"]] if "enum" in c else None
        self.pattern = f"^(?:{c['pattern']})$" if "pattern" in c else None
        self.low_cardinality: bool | None = None
        self._n_labels = 0
        self.duplicate_pairs: list[tuple[int, int]] = []

    # -- reporting ----------------------------------------------------------

    def _report(
        self,
        code: str,
        rows: np.ndarray,
        values: pa.Array | None,
        describe: Any,
        constraint: str | None = None,
    ) -> None:
        room = self.errors.room(code)
        shown = min(room, rows.size)
        texts = values.slice(0, shown).to_pylist() if values is not None and shown else []
        for k in range(shown):
            value = texts[k] if texts else None
            self.errors.add(
                Issue(
                    code=code,
                    message=f"Row {int(rows[k])}, column {self.position + 1} ({self.name!r}): "
                    + describe(value),
                    row=int(rows[k]),
                    column=self.position + 1,
                    field=self.name,
                    value=truncate(value),
                    constraint=constraint,
                )
            )
        if rows.size > shown:
            self.errors.count_only(code, int(rows.size - shown))

    # -- checking -------------------------------------------------------------

    def _encode(self, arr: pa.Array) -> tuple[pa.Array, np.ndarray | None, np.ndarray | None]:
        """(labels, indices, counts): distinct values when cells repeat a lot,
        otherwise the cells themselves (indices None)."""
        if self.low_cardinality is False or len(arr) < 64:
            return arr, None, None
        encoded = pc.dictionary_encode(arr)
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        labels = encoded.dictionary
        indices = encoded.indices.to_numpy(zero_copy_only=False)
        self.low_cardinality = len(labels) * 4 <= len(arr)
        return labels, indices, np.bincount(indices, minlength=len(labels))

    def feed(self, arr: pa.Array, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Check one batch; returns (key hashes, usable mask) for primary-key fields.

        Checks run on distinct values when a column repeats a lot (codes,
        categories, dates), and problems are mapped back to rows.
        """
        labels, indices, counts = self._encode(arr)
        self._n_labels = len(labels)

        def to_rows(label_mask: np.ndarray) -> np.ndarray:
            return label_mask if indices is None else label_mask[indices]

        miss = missing_mask(labels, self.missing)
        if miss.any():
            miss_rows = to_rows(miss)
            self.stats.missing += int(miss_rows.sum())
            if self.constraints.get("required"):
                self._report(
                    "constraint-error",
                    rows[miss_rows],
                    None,
                    lambda v: "a value is required but the cell is empty or missing.",
                    constraint="required",
                )
        positions = np.flatnonzero(~miss)
        present = labels.take(pa.array(positions)) if miss.any() else labels
        good = np.zeros(len(labels), dtype=bool)
        if len(present):
            ok = self.checker.valid(present)
            good[positions[ok]] = True
            if not ok.all():
                bad = np.zeros(len(labels), dtype=bool)
                bad[positions[~ok]] = True
                bad_rows = to_rows(bad)
                self.stats.invalid += int(bad_rows.sum())
                fmt = self.fdef.get("format", "default")
                what = self.checker.type + ("" if fmt == "default" else f" in format {fmt!r}")
                self._report(
                    "type-error",
                    rows[bad_rows],
                    arr.filter(pa.array(bad_rows)),
                    lambda v, what=what: f"{truncate(v)!r} is not a valid {what}.",
                )
        good_pos = np.flatnonzero(good)
        values = labels.take(pa.array(good_pos)) if not good.all() else labels
        weights = counts[good_pos] if counts is not None else None
        canonical = None
        if len(values):
            canonical = self._check_values(values, weights, good_pos, to_rows, rows, arr)
        if not self.in_primary_key:
            return None
        usable = to_rows(good)
        hashed = np.zeros(len(labels), dtype=np.uint64)
        if canonical is not None:
            hashed[good_pos] = hash_values(canonical)
        return to_rows(hashed), usable

    def _check_values(
        self,
        values: pa.Array,
        weights: np.ndarray | None,
        positions: np.ndarray,
        to_rows: Any,
        rows: np.ndarray,
        arr: pa.Array,
    ) -> np.ndarray | None:
        """Statistics and constraints for valid ``values`` (labels at ``positions``)."""
        checker = self.checker
        stats = self.stats
        if weights is None:
            stats.add_text(values)
        else:
            stats.count += int(weights.sum())
            stats.values.add_counts(values, weights)
            if stats.type in ("string", "any"):
                mm = pc.min_max(pc.utf8_length(values)).as_py()
                stats.min_len = (
                    mm["min"] if stats.min_len is None else min(stats.min_len, mm["min"])
                )
                stats.max_len = (
                    mm["max"] if stats.max_len is None else max(stats.max_len, mm["max"])
                )
        canonical: np.ndarray | None = None
        if isinstance(checker, NumericChecker):
            canonical = checker.numbers(values)
            stats.numeric.update(canonical, weights)
        elif isinstance(checker, TemporalChecker):
            canonical = checker.seconds(values)
            stats.add_seconds(canonical)

        n_labels = self._n_labels

        def report(bad: np.ndarray, name: str, describe: Any) -> None:
            if not bad.any():
                return
            label_mask = np.zeros(n_labels, dtype=bool)
            label_mask[positions[bad]] = True
            row_mask = to_rows(label_mask)
            self._report(
                "constraint-error",
                rows[row_mask],
                arr.filter(pa.array(row_mask)),
                describe,
                constraint=name,
            )

        if canonical is not None:
            for name, bound, test, words in self._range_checks():
                with np.errstate(invalid="ignore"):
                    bad = test(canonical, bound)
                shown = self.constraints[name]
                report(
                    bad,
                    name,
                    lambda v, words=words, shown=shown: f"{truncate(v)!r} is {words} {shown!r}.",
                )
        if self.enum is not None:
            if canonical is not None:  # numbers or instants
                bad = ~np.isin(canonical, np.array(self.enum))
            elif checker.type == "boolean":
                bad = ~np.isin(checker.canonical(values), np.array(self.enum, dtype=bool))
            else:
                bad = ~bool_mask(pc.is_in(values, value_set=pa.array(self.enum, pa.string())))
            allowed = ", ".join(repr(v) for v in self.constraints["enum"][:10])
            report(
                bad,
                "enum",
                lambda v: f"{truncate(v)!r} is not one of the allowed values ({allowed}).",
            )
        if "minLength" in self.constraints or "maxLength" in self.constraints:
            lengths = pc.utf8_length(values).to_numpy(zero_copy_only=False)
            if "minLength" in self.constraints:
                lo = self.constraints["minLength"]
                report(
                    lengths < lo,
                    "minLength",
                    lambda v: f"{truncate(v)!r} is shorter than {lo} characters.",
                )
            if "maxLength" in self.constraints:
                hi = self.constraints["maxLength"]
                report(
                    lengths > hi,
                    "maxLength",
                    lambda v: f"{truncate(v)!r} is longer than {hi} characters.",
                )
        if self.pattern is not None:
            bad = ~bool_mask(pc.match_substring_regex(values, pattern=self.pattern))
            pat = self.constraints["pattern"]
            report(bad, "pattern", lambda v: f"{truncate(v)!r} does not match the pattern {pat!r}.")
        if self.unique is not None or self.in_primary_key:
            if canonical is None:
                canonical = checker.canonical(values)
            if self.unique is not None:
                label_mask = np.zeros(n_labels, dtype=bool)
                label_mask[positions] = True
                row_mask = to_rows(label_mask)
                per_label = np.zeros(n_labels, dtype=np.uint64)
                per_label[positions] = hash_values(canonical)
                self.unique.add(to_rows(per_label)[row_mask], rows[row_mask])
        return canonical

    def _range_checks(self) -> list[tuple[str, Any, Any, str]]:
        checks = (
            ("minimum", self.minimum, lambda x, b: x < b, "less than the minimum"),
            ("maximum", self.maximum, lambda x, b: x > b, "greater than the maximum"),
            ("exclusiveMinimum", self.xminimum, lambda x, b: x <= b, "not above the minimum"),
            ("exclusiveMaximum", self.xmaximum, lambda x, b: x >= b, "not below the maximum"),
        )
        return [c for c in checks if c[1] is not None]

    def finish(self) -> None:
        if self.unique is None:
            return
        self.duplicate_pairs = self.unique.duplicates()
        for row, first in self.duplicate_pairs:
            if self.errors.room("unique-error") == 0:
                self.errors.count_only("unique-error", 1)
                continue
            self.errors.add(
                Issue(
                    code="unique-error",
                    message=f"Row {row}, column {self.position + 1} ({self.name!r}): the value "
                    f"repeats row {first}, but the field must be unique.",
                    row=row,
                    column=self.position + 1,
                    field=self.name,
                    constraint="unique",
                )
            )


def validate(
    source: str | os.PathLike[str] | Table,
    schema: dict[str, Any],
    *,
    filename: str | None = None,
    dialect: Dialect | dict[str, Any] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    max_errors_per_code: int = 1000,
    progress: Progress | None = None,
) -> ValidationReport:
    """Validate a file (path or open ``Table``) against ``schema``.

    Raises ``SchemaError`` if the schema itself is unusable, and the reading
    errors of ``open_table`` for files that cannot be read at all.
    """
    schema = normalise_schema(schema)
    table = (
        source
        if isinstance(source, Table)
        else open_table(
            source, filename=filename, dialect=dialect, limits=limits, progress=progress
        )
    )
    header = table.header
    fields = schema["fields"]
    errors = IssueCollector(max_errors_per_code)
    warnings = IssueCollector(max_errors_per_code)
    add_table_issues(table.warnings, errors, warnings)
    structure = Structure(header, errors, warnings)
    structure.check_header()
    flagged = {i.column for i in errors.issues}
    for pos, fdef in enumerate(fields):
        if pos >= len(header):
            errors.add(
                Issue(
                    code="missing-label",
                    message=f"The schema's field {fdef['name']!r} (position {pos + 1}) has no "
                    "column in the file.",
                    row=1,
                    column=pos + 1,
                    field=fdef["name"],
                )
            )
        elif header[pos] != fdef["name"] and (pos + 1) not in flagged:
            errors.add(
                Issue(
                    code="incorrect-label",
                    message=f"Column {pos + 1} is headed {truncate(header[pos])!r} but the schema "
                    f"calls it {fdef['name']!r}.",
                    row=1,
                    column=pos + 1,
                    field=fdef["name"],
                )
            )
    for pos in range(len(fields), len(header)):
        errors.add(
            Issue(
                code="extra-label",
                message=f"Column {pos + 1} ({truncate(header[pos])!r}) is not in the schema.",
                row=1,
                column=pos + 1,
                field=header[pos],
            )
        )
    pk = schema.get("primaryKey") or []
    cap = distinct_cap(len(header))
    validators = [
        _FieldValidator(pos, fdef, schema, errors, fdef["name"] in pk, cap)
        for pos, fdef in enumerate(fields)
        if pos < len(header)
    ]
    # A single-field key whose field is also unique needs only one search.
    shared = next((v for v in validators if pk == [v.name] and v.unique is not None), None)
    pk_finder = _DuplicateFinder() if pk and shared is None else None
    for batch in table.batches(progress=progress):
        structure.add_batch(batch)
        if not batch.num_rows:
            continue
        key_parts: list[np.ndarray] = []
        key_ok = np.ones(batch.num_rows, dtype=bool)
        for v in validators:
            result = v.feed(batch.columns[v.position], batch.row_numbers)
            if result is not None:
                key_parts.append(result[0])
                key_ok &= result[1]
        if key_parts:
            for row in batch.row_numbers[~key_ok]:
                if errors.room("primary-key") == 0:
                    errors.count_only("primary-key", int((~key_ok).sum()))
                    break
                errors.add(
                    Issue(
                        code="primary-key",
                        message=f"Row {int(row)}: the primary key ({', '.join(pk)}) is missing "
                        "or invalid.",
                        row=int(row),
                    )
                )
            if pk_finder is not None:
                pk_finder.add(combine_hashes(key_parts)[key_ok], batch.row_numbers[key_ok])
    for v in validators:
        v.finish()
    key_duplicates = (
        pk_finder.duplicates()
        if pk_finder is not None
        else shared.duplicate_pairs
        if shared is not None
        else []
    )
    for row, first in key_duplicates:
        if errors.room("primary-key") == 0:
            errors.count_only("primary-key", 1)
            continue
        errors.add(
            Issue(
                code="primary-key",
                message=f"Row {row} has the same primary key ({', '.join(pk)}) as row {first}.",
                row=row,
            )
        )
    summaries = [v.stats.summary() for v in validators]
    for fdef in fields[len(header) :]:
        summaries.append(ColumnStats(fdef["name"], fdef.get("type", "string")).summary())
    return build_report(
        header=header,
        errors=errors,
        warnings=warnings,
        rows=structure.rows,
        columns=summaries,
        dialect=table.dialect,
    )
