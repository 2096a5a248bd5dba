"""De-identification fixes: pure transformations from one file to a new one.

``apply_fixes`` never modifies its input; it streams the table, rewrites the
affected columns and writes a new UTF-8 CSV, returning the updated schema
and a record of what was done (suitable for a version's changelog). Every
fix reads the *original* columns, so "days from the randomisation date" can
be applied to event dates and the randomisation date itself reduced to a
year in the same run.

Fixes can be given as objects or as dicts, e.g. ``{"fix": "dates_to_days",
"column": "death.dt", "reference": "entry.dt"}`` (the ``suggested_fix`` of a
screening finding has this form).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import postcodes
from .detect import Dialect, Progress
from .errors import FixError
from .fieldtypes import (
    NumericChecker,
    TemporalChecker,
    checker_for,
    missing_mask,
)
from .inference import table_and_schema
from .limits import DEFAULT_LIMITS, Limits
from .masks import bool_mask
from .reading import Table
from .schema import missing_values
from .writing import CsvWriter, open_dest

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class DropColumn:
    column: str
    name = "drop_column"


@dataclass(frozen=True)
class DatesToYear:
    column: str
    name = "dates_to_year"


@dataclass(frozen=True)
class DatesToDays:
    """Replace dates by whole days since ``reference`` (e.g. randomisation)."""

    column: str
    reference: str
    name = "dates_to_days"


@dataclass(frozen=True)
class TopCodeAges:
    """Ages of ``threshold`` and over are recorded as ``threshold`` (top-coding): the
    column stays a number that analyses can use, and "90" then means "90 or over"."""

    column: str
    threshold: int = 90
    name = "top_code_ages"


@dataclass(frozen=True)
class UkOutwardCodes:
    """UK postcodes to their outward code (the district: "M1 1AE" -> "M1")."""

    column: str
    name = "uk_outward_codes"


@dataclass(frozen=True)
class ZipsTo3:
    """US ZIP codes (5-digit or ZIP+4) to their first three digits, as HIPAA Safe
    Harbor allows, and to "000" where those three digits cover 20,000 people or fewer."""

    column: str
    name = "zips_to_3"


@dataclass(frozen=True)
class FirstCharacters:
    """The first ``length`` characters of each value, whatever it holds: for codes
    that follow no rule the portal knows."""

    column: str
    length: int = 3
    name = "first_characters"


@dataclass(frozen=True)
class RenameColumn:
    column: str
    new_name: str
    name = "rename_column"


Fix = (
    DropColumn
    | DatesToYear
    | DatesToDays
    | TopCodeAges
    | UkOutwardCodes
    | ZipsTo3
    | FirstCharacters
    | RenameColumn
)
_FIXES: dict[str, type[Fix]] = {
    c.name: c
    for c in (
        DropColumn,
        DatesToYear,
        DatesToDays,
        TopCodeAges,
        UkOutwardCodes,
        ZipsTo3,
        FirstCharacters,
        RenameColumn,
    )
}
#: Names that drafts screened earlier still suggest, and what they now mean: ages
#: are top-coded as numbers (a "90+" label made the column text), and "postcodes to
#: 3 characters" is said to be what it is.
_FORMER_NAMES = {"ages_to_90_plus": "top_code_ages", "postcodes_to_3": "first_characters"}
_FORMER_PARAMS = {"label"}


def fix_from_dict(data: dict[str, Any]) -> Fix:
    kind = data.get("fix")
    former = str(kind) in _FORMER_NAMES
    if former:
        kind = _FORMER_NAMES[str(kind)]
    cls = _FIXES.get(str(kind))
    if cls is None:
        raise FixError(f"Unknown fix {kind!r}; use one of {', '.join(sorted(_FIXES))}.")
    params = {k: v for k, v in data.items() if k != "fix" and not (former and k in _FORMER_PARAMS)}
    try:
        return cls(**params)
    except TypeError as exc:
        raise FixError(f"Bad parameters for {kind}: {exc}", field=data.get("column")) from exc


def fix_to_dict(fix: Fix) -> dict[str, Any]:
    return {"fix": fix.name, **asdict(fix)}


def offer(data: dict[str, Any]) -> str:
    """What a fix will do, in the plain words a page offers it with."""
    fix = fix_from_dict(data)
    col = repr(fix.column)
    if isinstance(fix, DropColumn):
        return f"Remove the column {col}."
    if isinstance(fix, DatesToYear):
        return f"Keep only the year of the dates in {col}."
    if isinstance(fix, DatesToDays):
        return f"Replace the dates in {col} by the number of days since {fix.reference!r}."
    if isinstance(fix, TopCodeAges):
        return (
            f"Record ages of {fix.threshold} and over in {col} as {fix.threshold}; the column "
            "stays a number."
        )
    if isinstance(fix, UkOutwardCodes):
        return (
            f"Keep only the outward code of the UK postcodes in {col} (the part before the "
            "space: 'M1 1AE' becomes 'M1'); values that are not UK postcodes are left empty."
        )
    if isinstance(fix, ZipsTo3):
        return (
            f"Keep only the first three digits of the US ZIP codes in {col}, with 000 for "
            "areas of 20,000 people or fewer (HIPAA Safe Harbor); values that are not ZIP "
            "codes are left empty."
        )
    if isinstance(fix, FirstCharacters):
        return (
            f"Keep only the first {fix.length} characters of each value in {col}, as written. "
            "This follows no country's postcode rule: check that it hides enough."
        )
    return f"Rename the column {col} to {fix.new_name!r}."


@dataclass
class FixRecord:
    fix: str
    column: str
    params: dict[str, Any]
    cells_changed: int
    cells_cleared: int
    description: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class FixResult:
    schema: dict[str, Any]
    records: list[FixRecord]
    rows: int
    sha256: str
    size: int
    header: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "records": [r.to_dict() for r in self.records],
            "rows": self.rows,
            "sha256": self.sha256,
            "size": self.size,
            "header": self.header,
        }


class _Applied:
    def __init__(
        self,
        fix: Fix,
        position: int,
        fdef: dict[str, Any],
        schema: dict[str, Any],
        ref: tuple[int, dict[str, Any]] | None,
    ) -> None:
        self.fix = fix
        self.position = position
        self.fdef = fdef
        self.missing = missing_values(schema, fdef)
        self.ref = ref
        self.ref_missing = missing_values(schema, ref[1]) if ref else []
        self.changed = 0
        self.cleared = 0
        # What a cell that must be emptied is written as: a code the field reads as missing.
        self.blank = "" if "" in self.missing or not self.missing else self.missing[0]

    def transform(self, columns: list[pa.Array]) -> pa.Array:
        fix = self.fix
        arr = columns[self.position]
        miss = missing_mask(arr, self.missing)
        if isinstance(fix, (DatesToYear, DatesToDays)):
            checker = checker_for(self.fdef)
            assert isinstance(checker, TemporalChecker)  # apply_fixes allows dates only
            ok, seconds = checker.parse(arr)
            ok &= ~miss
            if isinstance(fix, DatesToYear):
                years = (seconds // SECONDS_PER_DAY).astype("datetime64[D]").astype(
                    "datetime64[Y]"
                ).astype(np.int64) + 1970
                values = years
            else:
                assert self.ref is not None
                ref_arr = columns[self.ref[0]]
                ref_checker = checker_for(self.ref[1])
                assert isinstance(ref_checker, TemporalChecker)  # a date, as checked
                ref_ok, ref_seconds = ref_checker.parse(ref_arr)
                ref_ok &= ~missing_mask(ref_arr, self.ref_missing)
                ok &= ref_ok
                values = np.floor_divide(seconds - ref_seconds, SECONDS_PER_DAY)
            text = pa.array(values.astype(str), pa.string())
            cleared = ~ok & ~miss
            self.changed += int(ok.sum())
            self.cleared += int(cleared.sum())
            out = pc.if_else(pa.array(ok), text, "")  # unreadable dates are emptied
            return pc.if_else(pa.array(miss), arr, out)
        if isinstance(fix, TopCodeAges):
            checker = checker_for(self.fdef)
            assert isinstance(checker, NumericChecker)  # apply_fixes allows numbers only
            present = ~miss
            ok = np.zeros(len(arr), dtype=bool)
            numbers = np.full(len(arr), np.nan)
            if present.any():
                valid = checker.valid(arr.filter(pa.array(present)))
                idx = np.flatnonzero(present)[valid]
                ok[idx] = True
                if idx.size:
                    numbers[idx] = checker.numbers(arr.take(pa.array(idx)))
            with np.errstate(invalid="ignore"):
                over = ok & (numbers > fix.threshold)
            self.changed += int(over.sum())
            return pc.if_else(pa.array(over), str(fix.threshold), arr)
        if isinstance(fix, (UkOutwardCodes, ZipsTo3, FirstCharacters)):
            if isinstance(fix, UkOutwardCodes):
                coarse = postcodes.uk_outward(arr)
            elif isinstance(fix, ZipsTo3):
                coarse = postcodes.zip3(arr, whole_numbers=self.fdef.get("type") == "integer")
            else:
                coarse = postcodes.first_characters(arr, fix.length)
            present = ~miss
            unknown = present & bool_mask(pc.is_null(coarse))
            differs = present & ~unknown & ~bool_mask(pc.equal(coarse, arr))
            self.changed += int(differs.sum())
            self.cleared += int(unknown.sum())
            # A value no rule fits is emptied, never guessed at.
            out = pc.if_else(pa.array(unknown), self.blank, pc.fill_null(coarse, self.blank))
            return pc.if_else(pa.array(miss), arr, out)
        return arr  # rename/drop change the header, not the cells

    def record(self) -> FixRecord:
        fix = self.fix
        params = {k: v for k, v in asdict(fix).items() if k != "column"}
        col = fix.column
        if isinstance(fix, DropColumn):
            text = f"Removed column {col!r}."
        elif isinstance(fix, RenameColumn):
            text = f"Renamed column {col!r} to {fix.new_name!r}."
        elif isinstance(fix, DatesToYear):
            text = f"Reduced {self.changed:,} date(s) in {col!r} to the year."
        elif isinstance(fix, DatesToDays):
            text = (
                f"Replaced {self.changed:,} date(s) in {col!r} by the number of days since "
                f"{fix.reference!r}."
            )
        elif isinstance(fix, TopCodeAges):
            text = (
                f"Top-coded {self.changed:,} age(s) in {col!r}: values of {fix.threshold} and "
                f"over recorded as {fix.threshold}."
            )
        elif isinstance(fix, UkOutwardCodes):
            text = (
                f"Reduced {self.changed:,} UK postcode(s) in {col!r} to the outward code "
                "(the part before the space: 'M1 1AE' becomes 'M1')."
            )
        elif isinstance(fix, ZipsTo3):
            text = (
                f"Shortened {self.changed:,} ZIP code(s) in {col!r} to their first three "
                "digits (000 where those cover 20,000 people or fewer)."
            )
        else:
            assert isinstance(fix, FirstCharacters)
            text = (
                f"Kept only the first {fix.length} character(s) of {self.changed:,} value(s) "
                f"in {col!r}, as written."
            )
        if self.cleared and isinstance(fix, (DatesToYear, DatesToDays)):
            text += f" {self.cleared:,} cell(s) that could not be read as dates were emptied."
        elif self.cleared:
            kind = {UkOutwardCodes: "UK postcodes", ZipsTo3: "US ZIP codes"}.get(
                type(fix), "readable"
            )
            text += (
                f" {self.cleared:,} value(s) that are not {kind} were left empty "
                "(nothing was guessed)."
            )
        return FixRecord(
            fix=fix.name,
            column=col,
            params=params,
            cells_changed=self.changed,
            cells_cleared=self.cleared,
            description=text,
        )


def _updated_schema(schema: dict[str, Any], fixes: list[Fix]) -> dict[str, Any]:
    out = copy.deepcopy(schema)
    by_name = {f["name"]: f for f in out["fields"]}
    for fix in fixes:
        fdef = by_name[fix.column]
        note = None
        if isinstance(fix, DatesToYear):
            fdef["type"] = "integer"
            fdef.pop("format", None)
            fdef["unit"] = "year"
            note = "Reduced to the year for de-identification."
        elif isinstance(fix, DatesToDays):
            fdef["type"] = "integer"
            fdef.pop("format", None)
            fdef["unit"] = "days"
            note = f"Days since {fix.reference} (dates removed for de-identification)."
        elif isinstance(fix, TopCodeAges):
            note = f"Values of {fix.threshold} and over recorded as {fix.threshold}."
        elif isinstance(fix, UkOutwardCodes):
            fdef["type"] = "string"
            fdef.pop("format", None)
            note = "UK postcodes reduced to the outward code (the district)."
        elif isinstance(fix, ZipsTo3):
            fdef["type"] = "string"
            fdef.pop("format", None)
            note = "ZIP codes shortened to 3 digits (000 for areas of 20,000 people or fewer)."
        elif isinstance(fix, FirstCharacters):
            fdef["type"] = "string"
            fdef.pop("format", None)
            note = f"Only the first {fix.length} character(s) of each value kept."
        elif isinstance(fix, RenameColumn):
            fdef["name"] = fix.new_name
            pk = out.get("primaryKey") or []
            out["primaryKey"] = [fix.new_name if k == fix.column else k for k in pk] or None
        if note:
            fdef["description"] = (fdef.get("description", "") + " " + note).strip()
            constraints = fdef.get("constraints", {})
            for key in (
                "minimum",
                "maximum",
                "exclusiveMinimum",
                "exclusiveMaximum",
                "enum",
                "pattern",
                "minLength",
                "maxLength",
            ):
                constraints.pop(key, None)
            if isinstance(fix, (UkOutwardCodes, ZipsTo3, FirstCharacters)):
                # values no rule fits are emptied, and two people now share a code
                constraints.pop("required", None)
                constraints.pop("unique", None)
            if not constraints:
                fdef.pop("constraints", None)
    dropped = {f.column for f in fixes if isinstance(f, DropColumn)}
    out["fields"] = [f for f in out["fields"] if f["name"] not in dropped]
    pk = out.get("primaryKey")
    if pk and any(k in dropped for k in pk):
        out.pop("primaryKey")
    if out.get("primaryKey") is None:
        out.pop("primaryKey", None)
    return out


def _record_in_dictionary(
    schema: dict[str, Any], fixes: list[Fix], records: list[FixRecord]
) -> None:
    """Each kept field lists what was done to its values (``transformations``), so the
    data dictionary of the new version says it, as its change note does."""
    by_name = {f["name"]: f for f in schema["fields"]}
    for fix, record in zip(fixes, records, strict=True):
        name = fix.new_name if isinstance(fix, RenameColumn) else fix.column
        fdef = by_name.get(name)
        if fdef is None:  # dropped
            continue
        fdef.setdefault("transformations", []).append(
            {"fix": record.fix, **record.params, "description": record.description}
        )


def apply_fixes(
    source: str | os.PathLike[str] | Table,
    fixes: Sequence[Fix | dict[str, Any]],
    dest: str | os.PathLike[str] | IO[bytes],
    *,
    schema: dict[str, Any] | None = None,
    filename: str | None = None,
    dialect: Dialect | dict[str, Any] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    progress: Progress | None = None,
) -> FixResult:
    """Write a fixed copy of ``source`` to ``dest`` (path or binary stream) as CSV.

    Rows that could not be parsed (wrong number of cells) are not copied;
    validate first. Raises ``FixError`` for unknown columns, fixes that do
    not fit the column's type, or two fixes on the same column.
    """
    table, schema = table_and_schema(
        source, schema, filename=filename, dialect=dialect, limits=limits, progress=progress
    )
    fields = schema["fields"]
    if len(fields) != table.width:
        raise FixError(
            f"The schema has {len(fields)} fields but the file has {table.width} columns."
        )
    names = [f["name"] for f in fields]
    parsed = [fix_from_dict(f) if isinstance(f, dict) else f for f in fixes]
    seen: set[str] = set()
    applied: list[_Applied] = []
    for fix in parsed:
        if fix.column not in names:
            raise FixError(f"{fix.name}: there is no column {fix.column!r}.", field=fix.column)
        if fix.column in seen:
            raise FixError(f"Column {fix.column!r} has more than one fix.", field=fix.column)
        seen.add(fix.column)
        pos = names.index(fix.column)
        fdef = fields[pos]
        ftype = fdef.get("type", "string")
        ref = None
        if isinstance(fix, (DatesToYear, DatesToDays)) and ftype not in ("date", "datetime"):
            raise FixError(
                f"{fix.name}: column {fix.column!r} is {ftype}, not a date.", field=fix.column
            )
        if isinstance(fix, DatesToDays):
            if fix.reference not in names:
                raise FixError(
                    f"dates_to_days: there is no reference column {fix.reference!r}.",
                    field=fix.reference,
                )
            rpos = names.index(fix.reference)
            if fields[rpos].get("type") not in ("date", "datetime"):
                raise FixError(
                    f"dates_to_days: reference {fix.reference!r} is not a date column.",
                    field=fix.reference,
                )
            ref = (rpos, fields[rpos])
        if isinstance(fix, TopCodeAges) and ftype not in ("integer", "number"):
            raise FixError(
                f"top_code_ages: column {fix.column!r} is {ftype}, not numeric.", field=fix.column
            )
        if isinstance(fix, FirstCharacters) and not (
            isinstance(fix.length, int) and 1 <= fix.length <= 50
        ):
            raise FixError(
                "first_characters: the length must be a whole number from 1 to 50.",
                field=fix.column,
            )
        if isinstance(fix, RenameColumn) and (not fix.new_name or fix.new_name in names):
            raise FixError(
                f"rename_column: {fix.new_name!r} is empty or already used.", field=fix.column
            )
        applied.append(_Applied(fix, pos, fdef, schema, ref))

    new_schema = _updated_schema(schema, parsed)
    dropped = {f.column for f in parsed if isinstance(f, DropColumn)}
    keep = [i for i, n in enumerate(names) if n not in dropped]
    header = [f["name"] for f in new_schema["fields"]]
    out, close = open_dest(dest)
    try:
        writer = CsvWriter(out, header)
        for batch in table.batches(progress=progress):
            if not batch.num_rows:
                continue
            columns = list(batch.columns)
            originals = list(columns)
            for a in applied:
                columns[a.position] = a.transform(originals)
            writer.write_columns([columns[i] for i in keep])
    except BaseException:
        if close:
            out.close()
            if isinstance(dest, (str, os.PathLike)):  # always, when we opened it
                os.unlink(dest)  # no half-written files
        raise
    if close:
        out.close()
    records = [a.record() for a in applied]
    _record_in_dictionary(new_schema, parsed, records)
    return FixResult(
        schema=new_schema,
        records=records,
        rows=writer.rows,
        sha256=writer.sha256,
        size=writer.size,
        header=header,
    )
