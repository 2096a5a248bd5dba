"""Infer a Frictionless Table Schema (the data dictionary) from a whole file.

Inference reads every row: a column that is integer for 5,000 rows and then
holds "4.5" is a number, and a code like "NA" or "." is recognised as a
missing value wherever it appears. Each candidate type is tested batch by
batch on the non-missing cells and dropped as soon as one cell rejects it;
the most specific survivor wins. The same pass collects the summary
statistics, so profiling a file costs one read. Titles, units, roles, the
primary key and enumerations are then suggested from the names and the
statistics (:mod:`datasets.suggestions`).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .batch import Batch
from .detect import Dialect, Progress
from .fieldtypes import (
    DATE_FORMATS,
    DATETIME_FORMATS,
    ISO_DATETIME_LAYOUT,
    ISO_DATETIME_RE,
    NumericChecker,
    TemporalChecker,
    checker_for,
    hash_values,
    missing_mask,
    strptime_checked,
)
from .issues import Issue, IssueCollector
from .limits import DEFAULT_LIMITS, Limits
from .masks import matches
from .plaintext import byte_lengths
from .reading import Table, open_table
from .report import Structure, ValidationReport, add_table_issues, build_report
from .schema import normalise_schema
from .stats import ColumnStats, ColumnSummary, ValueCounter, distinct_cap
from .suggestions import guess_unit, humanise, role_from_name, suggest_roles_and_keys
from .textshapes import layout_or_pattern, plain_numbers

#: Missing-value codes recognised during inference.
MISSING_CANDIDATES = (
    "",
    "NA",
    "N/A",
    "n/a",
    "na",
    "#N/A",
    "NaN",
    "nan",
    "NULL",
    "null",
    "None",
    ".",
    "-",
    "?",
    "missing",
    "Missing",
    "MISSING",
)
#: Codes that can also be genuine labels in a text column ("None" as a
#: smoking category, "-" as a placeholder); they only count as missing in
#: columns whose other values are numbers, dates or booleans.
_AMBIGUOUS_CODES = frozenset({"na", "None", ".", "-", "?", "missing", "Missing", "MISSING"})

# Inference is stricter than validation: leading zeros mark codes (postcodes,
# phone numbers, zero-padded ids) that must stay text, and integers over 18
# digits are identifiers, not quantities.
_INFER_INTEGER = r"^[+-]?(?:0|[1-9]\d{0,17})$"
_MAX_DIGITS = 18  # as the patterns' ``\d{0,17}`` after a first digit
_INFER_NUMBER = (
    r"^[+-]?(?:0|[1-9]\d{0,17}|(?:0|[1-9]\d*)\.\d*|\.\d+"
    r"|(?:(?:0|[1-9]\d*)(?:\.\d*)?|\.\d+)[eE][+-]?\d+)$"
)
_INFER_NUMBER_COMMA = r"^[+-]?(?:0|[1-9]\d*)(?:,\d+)?$"
_TRUE_FALSE = ("true", "false", "True", "False", "TRUE", "FALSE")
_YES_NO = ("yes", "no", "Yes", "No", "YES", "NO")

#: How many cells of a batch are tried first: most candidates fail on them,
#: so the whole batch is only tested against the few that survive.
_PRESCREEN = 512


@dataclass(frozen=True)
class _Candidate:
    key: str
    type: str
    test: Callable[[pa.Array], np.ndarray]
    implied_by: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    #: Dates and times: the test's parse, kept so statistics need not parse again.
    parse: Callable[[pa.Array], tuple[np.ndarray, pa.Array | None]] | None = None


def _regex(pattern: str) -> Callable[[pa.Array], np.ndarray]:
    return lambda arr: matches(arr, pattern)


def _number(pattern: str, *, point: bool) -> Callable[[pa.Array], np.ndarray]:
    return lambda arr: plain_numbers(arr, pattern, point=point, max_digits=_MAX_DIGITS)


def _one_of(values: tuple[str, ...]) -> Callable[[pa.Array], np.ndarray]:
    return lambda arr: missing_mask(arr, values)


def _date(fmt: str) -> Callable[[pa.Array], tuple[np.ndarray, pa.Array | None]]:
    def parse(arr: pa.Array) -> tuple[np.ndarray, pa.Array | None]:
        if fmt == "%Y-%m-%dT%H:%M:%S":
            ok = layout_or_pattern(arr, ISO_DATETIME_LAYOUT, ISO_DATETIME_RE, only=False)
            if not ok.all():
                return ok, None
            # The pattern pins the first 19 characters to the layout's shape; cells
            # of no more than 19 bytes are those characters already.
            lengths = byte_lengths(arr)
            if lengths is None or lengths.max() > len(ISO_DATETIME_LAYOUT):
                arr = pc.utf8_slice_codeunits(arr, 0, len(ISO_DATETIME_LAYOUT))
            return strptime_checked(arr, fmt, shaped=True)
        return strptime_checked(arr, fmt)

    return parse


def _test(
    parse: Callable[[pa.Array], tuple[np.ndarray, pa.Array | None]],
) -> Callable[[pa.Array], np.ndarray]:
    return lambda arr: parse(arr)[0]


def _candidates(delimiter: str | None) -> list[_Candidate]:
    out = [
        _Candidate("boolean", "boolean", _one_of(_TRUE_FALSE)),
        _Candidate(
            "boolean-yesno",
            "boolean",
            _one_of(_YES_NO),
            extra={"trueValues": ["yes", "Yes", "YES"], "falseValues": ["no", "No", "NO"]},
        ),
        _Candidate("integer", "integer", _number(_INFER_INTEGER, point=False)),
        _Candidate("number", "number", _number(_INFER_NUMBER, point=True), implied_by=("integer",)),
    ]
    if delimiter not in (",", None):
        out.append(
            _Candidate(
                "number-comma",
                "number",
                _regex(_INFER_NUMBER_COMMA),
                implied_by=("integer",),
                extra={"decimalChar": ","},
            )
        )
    for fmt in DATE_FORMATS:
        out.append(
            _Candidate(
                f"date:{fmt}",
                "date",
                _test(_date(fmt)),
                extra={"format": "default" if fmt == "%Y-%m-%d" else fmt},
                parse=_date(fmt),
            )
        )
    for fmt in ("%Y-%m-%dT%H:%M:%S",) + DATETIME_FORMATS[1:]:
        out.append(
            _Candidate(
                f"datetime:{fmt}",
                "datetime",
                _test(_date(fmt)),
                extra={"format": "default" if "T" in fmt else fmt},
                parse=_date(fmt),
            )
        )
    return out


class _ColumnInference:
    def __init__(
        self,
        index: int,
        name: str,
        candidates: list[_Candidate],
        declared: str | None,
        track_unique: bool,
        cap: int,
    ) -> None:
        self.index = index
        self.name = name
        self.declared = declared
        self.viable = {c.key: c for c in candidates} if declared is None else {}
        self.codes: Counter[str] = Counter()
        self.nonmissing = 0
        self.values = ValueCounter(cap)
        self.min_len: int | None = None
        self.max_len: int | None = None
        self.numeric = ColumnStats(name, "number")
        self.temporal: dict[str, ColumnStats] = {}
        self.track_unique = track_unique
        self.hash_kind: str | None = None
        self.hashes: list[np.ndarray] = []
        # Timestamps of the batch being read, per date candidate that passed it.
        self.parsed: dict[str, pa.Array] = {}

    def feed(self, arr: pa.Array) -> None:
        if not self.values.overflowed and len(arr) > 2 * self.values.cap:
            self._overflow_early(arr)
        if not self.values.overflowed:
            counted = pc.value_counts(arr)
            if len(counted) * 4 <= len(arr):
                self._feed_distinct(counted)
                return
            labels = counted.field("values")
            keep = ~missing_mask(labels, MISSING_CANDIDATES)
            self.values.add_counts(
                labels.filter(pa.array(keep)),
                counted.field("counts").to_numpy(zero_copy_only=False)[keep],
            )
        miss = missing_mask(arr, MISSING_CANDIDATES)
        if miss.any():
            codes = pc.value_counts(arr.filter(pa.array(miss)))
            self._add_codes(
                codes.field("values"), codes.field("counts").to_numpy(zero_copy_only=False)
            )
            self._stop_unique()  # an id with gaps cannot be a key
            if self.declared is None and not self.viable:
                # Text: only the lengths of the cells are still asked for, which
                # need no copy of the cells that are not missing.
                self._lengths_of_present(arr, ~miss)
                return
            values = arr.filter(pa.array(~miss))
        else:
            values = arr
        if len(values) == 0:
            return
        self.nonmissing += len(values)
        self._lengths(values)
        if self.declared is not None:
            self._declared_stats(values)
        else:
            self._narrow(values)
            self._candidate_stats(values)
        self._track_unique(values)

    def _overflow_early(self, arr: pa.Array) -> None:
        """Give up counting values when the batch's head alone has more than the
        cap: counting every cell of a column of ids, timestamps or notes costs
        more than the rest of its inference, only for the counts to be dropped."""
        head = pc.value_counts(arr.slice(0, 2 * self.values.cap)).field("values")
        if len(head) <= self.values.cap:
            return
        present = len(head) - int(missing_mask(head, MISSING_CANDIDATES).sum())
        if present > self.values.cap:
            self.values.counts = None

    def _feed_distinct(self, counted: pa.StructArray) -> None:
        """Most cells repeat: test each distinct value once, weighting by its count."""
        values = counted.field("values")
        counts = counted.field("counts").to_numpy(zero_copy_only=False)
        miss = missing_mask(values, MISSING_CANDIDATES)
        if miss.any():
            self._add_codes(values.filter(pa.array(miss)), counts[miss])
            values = values.filter(pa.array(~miss))
            counts = counts[~miss]
        self.values.add_counts(values, counts)
        if len(values) == 0:
            return
        self.nonmissing += int(counts.sum())
        self._lengths(values)
        if self.declared is not None:
            self._declared_stats(values, counts)
        else:
            self._narrow(values)
            self._candidate_stats(values, counts)
        if counts.max() > 1:
            self._stop_unique()
        else:
            self._track_unique(values)

    def _add_codes(self, values: pa.Array, counts: np.ndarray) -> None:
        for v, c in zip(values.to_pylist(), counts.tolist(), strict=True):
            self.codes[v] += c

    def _lengths(self, values: pa.Array) -> None:
        mm = pc.min_max(pc.utf8_length(values)).as_py()
        self._add_lengths(mm["min"], mm["max"])

    def _lengths_of_present(self, arr: pa.Array, present: np.ndarray) -> None:
        n = int(present.sum())
        if n == 0:
            return
        self.nonmissing += n
        lengths = pc.utf8_length(arr).to_numpy(zero_copy_only=False)[present]
        self._add_lengths(int(lengths.min()), int(lengths.max()))

    def _add_lengths(self, lo: int, hi: int) -> None:
        self.min_len = lo if self.min_len is None else min(self.min_len, lo)
        self.max_len = hi if self.max_len is None else max(self.max_len, hi)

    def _stop_unique(self) -> None:
        self.track_unique = False
        self.hashes.clear()

    def _track_unique(self, values: pa.Array) -> None:
        if not self.track_unique:
            return
        # Integers are compared as numbers (cheap); anything else by a hash
        # of its text. A column that changes kind part-way is not a key.
        kind = "int" if "integer" in self.viable or self.declared == "integer" else "text"
        if self.hash_kind not in (None, kind):
            self._stop_unique()
            return
        self.hash_kind = kind
        if kind == "int":
            digits = pc.utf8_ltrim(values, characters="+")  # Arrow rejects "+4"
            self.hashes.append(pc.cast(digits, pa.int64()).to_numpy(zero_copy_only=False))
        else:
            self.hashes.append(hash_values(values.to_numpy(zero_copy_only=False)))

    def _narrow(self, values: pa.Array) -> None:
        head = values.slice(0, _PRESCREEN) if len(values) > _PRESCREEN else None
        passed: set[str] = set()
        self.parsed.clear()
        for key, cand in list(self.viable.items()):
            if any(k in passed for k in cand.implied_by):
                passed.add(key)
                continue
            if head is not None and not cand.test(head).all():
                del self.viable[key]
                continue
            if cand.parse is not None:
                ok, parsed = cand.parse(values)
                if ok.all() and parsed is not None:
                    self.parsed[key] = parsed
            else:
                ok = cand.test(values)
            if ok.all():
                passed.add(key)
            else:
                del self.viable[key]

    def _candidate_stats(self, values: pa.Array, counts: np.ndarray | None = None) -> None:
        if "integer" in self.viable or "number" in self.viable:
            self.numeric.numeric.update(
                pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False), counts
            )
        elif "number-comma" in self.viable:
            text = pc.replace_substring(values, pattern=",", replacement=".")
            self.numeric.numeric.update(
                pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False), counts
            )
        for key, cand in self.viable.items():
            if cand.type in ("date", "datetime"):
                stats = self.temporal.setdefault(key, ColumnStats(self.name, cand.type))
                parsed = self.parsed.get(key)
                if parsed is not None:  # every cell passed, so none is null
                    stats.add_seconds(pc.cast(parsed, pa.int64()).to_numpy(zero_copy_only=False))
                    continue
                checker = checker_for({"type": cand.type, "format": cand.extra["format"]})
                assert isinstance(checker, TemporalChecker)  # a date or datetime candidate
                stats.add_seconds(checker.seconds(values))

    def _declared_stats(self, values: pa.Array, counts: np.ndarray | None = None) -> None:
        checker = checker_for({"type": self.declared})
        if isinstance(checker, NumericChecker):
            self.numeric.numeric.update(checker.numbers(values), counts)
        elif isinstance(checker, TemporalChecker):
            stats = self.temporal.setdefault("declared", ColumnStats(self.name, checker.type))
            stats.add_seconds(checker.seconds(values))

    # -- results -----------------------------------------------------------

    def choice(self) -> tuple[str, dict[str, Any], str | None]:
        """(type, extra field properties, candidate key)."""
        if self.declared is not None:
            return self.declared, {}, "declared"
        if self.nonmissing == 0:
            return "string", {}, None
        order = ["boolean", "boolean-yesno", "integer", "number", "number-comma"]
        order += [f"date:{f}" for f in DATE_FORMATS]
        order += [f"datetime:{f}" for f in ("%Y-%m-%dT%H:%M:%S",) + DATETIME_FORMATS[1:]]
        for key in order:
            if key in self.viable:
                cand = self.viable[key]
                return cand.type, dict(cand.extra), key
        return "string", {}, None

    def treated_codes(self, ftype: str) -> set[str]:
        if ftype == "string":
            return {c for c in self.codes if c not in _AMBIGUOUS_CODES}
        return set(self.codes)

    def unique(self) -> bool | None:
        if not self.track_unique or not self.hashes:
            return None
        allh = np.sort(np.concatenate(self.hashes))
        return not bool(np.any(allh[1:] == allh[:-1]))


#: What rides on a profile's read: given the first batch's schema and integer
#: ranges, the function that takes each batch.
Along = Callable[[dict[str, Any], dict[str, tuple[Any, Any]]], Callable[[Batch], None]]


@dataclass
class Profile:
    """Result of reading a file once: the inferred schema and the report."""

    schema: dict[str, Any]
    report: ValidationReport
    notes: list[Issue]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "report": self.report.to_dict(),
            "notes": [n.to_dict() for n in self.notes],
        }


def profile(
    table: Table,
    *,
    max_errors_per_code: int = 1000,
    progress: Any = None,
    along: Along | None = None,
) -> Profile:
    """Infer the schema of ``table`` and summarise it in a single pass.

    ``along`` lets other work ride on the same read: after the first batch it is
    given the schema inferred from that batch (before roles and keys) and its
    integer ranges, and the function it returns is given every batch, the first
    included.
    """
    candidates = _candidates(table.dialect.delimiter)
    header = table.header
    errors = IssueCollector(max_errors_per_code)
    warnings = IssueCollector(max_errors_per_code)
    add_table_issues(table.warnings, errors, warnings)
    structure = Structure(header, errors, warnings)
    structure.check_header()
    id_like = [i for i, h in enumerate(header) if role_from_name(h) == "participant_id"]
    tracked = set(id_like[:3]) | ({0} if header else set())
    cap = distinct_cap(len(header))
    columns = [
        _ColumnInference(i, h, candidates, table.declared_types.get(i), i in tracked, cap)
        for i, h in enumerate(header)
    ]
    rider: Callable[[Batch], None] | None = None
    for batch in table.batches(progress=progress):
        structure.add_batch(batch)
        for col in columns:
            arr = batch.columns[col.index]
            if arr is not None and len(arr):
                col.feed(arr)
        if along is not None:
            if rider is None:
                first, _ = _typed_schema(columns, _field_names(header))
                rider = along(first, _integer_ranges(columns))
            rider(batch)

    names = _field_names(header)
    schema, treated = _typed_schema(columns, names)
    summaries = []
    notes: list[Issue] = []
    for col, name, codes in zip(columns, names, treated, strict=True):
        ftype, extra, key = col.choice()
        summaries.append(_summary(col, ftype, extra, key, codes))
        if ftype == "date" and extra.get("format") == "%d/%m/%Y" and "date:%m/%d/%Y" in col.viable:
            notes.append(
                Issue(
                    code="inference",
                    field=name,
                    column=col.index + 1,
                    message=(
                        f"Column {name!r}: every date fits both day/month/year and "
                        "month/day/year; day first was assumed. Check the format."
                    ),
                )
            )

    suggest_roles_and_keys(schema, [col.unique() for col in columns], summaries)
    for n in notes:
        warnings.add(n)
    report = build_report(
        header=header,
        errors=errors,
        warnings=warnings,
        rows=structure.rows,
        columns=summaries,
        dialect=table.dialect,
    )
    return Profile(schema=schema, report=report, notes=notes)


def _typed_schema(
    columns: list[_ColumnInference], names: list[str]
) -> tuple[dict[str, Any], list[set[str]]]:
    """The schema of the cells read so far, before roles and keys are suggested,
    and each column's codes treated as missing."""
    fields: list[dict[str, Any]] = []
    treated: list[set[str]] = []
    for col, name in zip(columns, names, strict=True):
        ftype, extra, _ = col.choice()
        treated.append(col.treated_codes(ftype))
        fdef: dict[str, Any] = {"name": name, "type": ftype}
        fdef.update({k: v for k, v in extra.items() if not (k == "format" and v == "default")})
        fdef["title"] = humanise(name)
        unit = guess_unit(name)
        if unit:
            fdef["unit"] = unit
        fields.append(fdef)
    union = set().union(*treated) | {""} if treated else {""}
    for fdef, col, codes in zip(fields, columns, treated, strict=True):
        if (union - codes) & set(col.codes):
            fdef["missingValues"] = _order_codes(codes | {""})
    return {"fields": fields, "missingValues": _order_codes(union)}, treated


def _integer_ranges(columns: list[_ColumnInference]) -> dict[str, tuple[Any, Any]]:
    """(min, max) of the columns typed integer so far, by header name, as the
    report gives them."""
    ranges: dict[str, tuple[Any, Any]] = {}
    for col in columns:
        if col.choice()[0] != "integer":
            continue
        acc = col.numeric.numeric
        if acc.n and acc.min is not None and acc.max is not None:
            ranges[col.name] = (int(acc.min), int(acc.max))
        else:
            ranges[col.name] = (None, None)
    return ranges


def infer_schema(table: Table) -> dict[str, Any]:
    """The inferred Table Schema alone (see ``profile`` for the report too)."""
    return profile(table).schema


def _summary(
    col: _ColumnInference, ftype: str, extra: dict[str, Any], key: str | None, codes: set[str]
) -> ColumnSummary:
    fmt = extra.get("format")
    stats = ColumnStats(col.name, ftype, None if fmt == "default" else fmt, col.values.cap)
    missing_total = sum(col.codes.values())
    as_values = {c: n for c, n in col.codes.items() if c not in codes}
    stats.missing = missing_total - sum(as_values.values())
    stats.count = col.nonmissing + sum(as_values.values())
    stats.values = col.values
    if as_values and col.values.counts is not None:
        for c, n in as_values.items():
            col.values.counts[c] = col.values.counts.get(c, 0) + n
    stats.min_len, stats.max_len = col.min_len, col.max_len
    for c in as_values:
        stats.min_len = len(c) if stats.min_len is None else min(stats.min_len, len(c))
        stats.max_len = len(c) if stats.max_len is None else max(stats.max_len, len(c))
    if ftype in ("integer", "number", "year"):
        stats.numeric = col.numeric.numeric
    if ftype in ("date", "datetime", "time") and key in col.temporal:
        stats.tmin, stats.tmax = col.temporal[key].tmin, col.temporal[key].tmax
    if ftype not in ("string", "any"):
        stats.min_len = stats.max_len = None
    return stats.summary()


def _order_codes(codes: set[str]) -> list[str]:
    order = {c: i for i, c in enumerate(MISSING_CANDIDATES)}
    return sorted(codes, key=lambda c: (order.get(c, len(order)), c))


def _field_names(header: list[str]) -> list[str]:
    """Unique, non-empty names (blank headers become field1, field2, ...)."""
    names: list[str] = []
    used: set[str] = set()
    for i, label in enumerate(header, start=1):
        base = label.strip() or f"field{i}"
        name, n = base, 2
        while name in used:
            name, n = f"{base}{n}", n + 1
        used.add(name)
        names.append(name)
    return names


def table_and_schema(
    source: str | os.PathLike[str] | Table,
    schema: dict[str, Any] | None,
    *,
    filename: str | None = None,
    dialect: Dialect | dict[str, Any] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    progress: Progress | None = None,
) -> tuple[Table, dict[str, Any]]:
    """``source`` as a table (opened, unless it is one) and its schema normalised:
    the one given, else the one inferred from every row."""
    table = (
        source
        if isinstance(source, Table)
        else open_table(
            source, filename=filename, dialect=dialect, limits=limits, progress=progress
        )
    )
    if schema is None:
        schema = profile(table, progress=progress).schema
    return table, normalise_schema(schema)
