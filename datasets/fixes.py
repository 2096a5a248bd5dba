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

from .detect import Dialect, Progress
from .errors import FixError
from .fieldtypes import (
    NumericChecker,
    TemporalChecker,
    bool_mask,
    checker_for,
    missing_mask,
)
from .inference import profile
from .limits import DEFAULT_LIMITS, Limits
from .reading import Table, open_table
from .schema import missing_values, normalise_schema
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
class AgesTo90Plus:
    """Ages of ``threshold`` and over become ``label`` (or are top-coded to
    ``threshold`` when label is None, keeping the column numeric)."""

    column: str
    threshold: int = 90
    label: str | None = "90+"
    name = "ages_to_90_plus"


@dataclass(frozen=True)
class PostcodesTo3:
    column: str
    length: int = 3
    name = "postcodes_to_3"


#: Three-digit ZIP code areas with 20,000 people or fewer (2000 Census, as listed
#: in the HHS guidance on the HIPAA Safe Harbor method): these become "000".
SPARSE_ZIP3 = frozenset(
    [
        "036",
        "059",
        "063",
        "102",
        "203",
        "556",
        "692",
        "790",
        "821",
        "823",
        "830",
        "831",
        "878",
        "879",
        "884",
        "890",
        "893",
    ]
)


@dataclass(frozen=True)
class ZipsTo3:
    """US ZIP codes (5-digit or ZIP+4) to their first three digits, as HIPAA Safe
    Harbor allows, and to "000" where those three digits cover 20,000 people or fewer."""

    column: str
    name = "zips_to_3"


@dataclass(frozen=True)
class RenameColumn:
    column: str
    new_name: str
    name = "rename_column"


Fix = DropColumn | DatesToYear | DatesToDays | AgesTo90Plus | PostcodesTo3 | ZipsTo3 | RenameColumn
_FIXES: dict[str, type[Fix]] = {
    c.name: c
    for c in (
        DropColumn,
        DatesToYear,
        DatesToDays,
        AgesTo90Plus,
        PostcodesTo3,
        ZipsTo3,
        RenameColumn,
    )
}


def fix_from_dict(data: dict[str, Any]) -> Fix:
    kind = data.get("fix")
    cls = _FIXES.get(str(kind))
    if cls is None:
        raise FixError(f"Unknown fix {kind!r}; use one of {', '.join(sorted(_FIXES))}.")
    params = {k: v for k, v in data.items() if k != "fix"}
    try:
        return cls(**params)
    except TypeError as exc:
        raise FixError(f"Bad parameters for {kind}: {exc}", field=data.get("column")) from exc


def fix_to_dict(fix: Fix) -> dict[str, Any]:
    return {"fix": fix.name, **asdict(fix)}


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
        if isinstance(fix, AgesTo90Plus):
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
                old = ok & (numbers >= fix.threshold)
            self.changed += int(old.sum())
            label = fix.label if fix.label is not None else str(fix.threshold)
            return pc.if_else(pa.array(old), label, arr)
        if isinstance(fix, PostcodesTo3):
            present = ~miss
            compact = pc.replace_substring_regex(arr, pattern=r"[^A-Za-z0-9]", replacement="")
            short = pc.utf8_slice_codeunits(pc.utf8_upper(compact), 0, fix.length)
            differs = present & ~bool_mask(pc.equal(short, arr))
            self.changed += int(differs.sum())
            return pc.if_else(pa.array(differs), short, arr)
        if isinstance(fix, ZipsTo3):
            present = ~miss
            digits = pc.replace_substring_regex(arr, pattern=r"[^0-9]", replacement="")
            # Whole-number columns lose a ZIP code's leading zeros ("2139" is 02139).
            five = pc.if_else(
                pc.less(pc.utf8_length(digits), 5), pc.utf8_lpad(digits, 5, "0"), digits
            )
            zip3 = pc.utf8_slice_codeunits(five, 0, 3)
            sparse = bool_mask(pc.is_in(zip3, value_set=pa.array(sorted(SPARSE_ZIP3))))
            zip3 = pc.if_else(pa.array(sparse), "000", zip3)
            differs = present & ~bool_mask(pc.equal(zip3, arr))
            self.changed += int(differs.sum())
            return pc.if_else(pa.array(differs), zip3, arr)
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
        elif isinstance(fix, AgesTo90Plus):
            label = fix.label if fix.label is not None else str(fix.threshold)
            text = (
                f"Grouped {self.changed:,} age(s) of {fix.threshold} or over in {col!r} as "
                f"{label!r}."
            )
        elif isinstance(fix, ZipsTo3):
            text = (
                f"Shortened {self.changed:,} ZIP code(s) in {col!r} to their first three "
                "digits (000 where those cover 20,000 people or fewer)."
            )
        else:
            text = f"Shortened {self.changed:,} postcode(s) in {col!r} to {fix.length} characters."
        if self.cleared:
            text += f" {self.cleared:,} cell(s) that could not be read as dates were emptied."
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
        elif isinstance(fix, AgesTo90Plus):
            if fix.label is not None:
                fdef["type"] = "string"
                fdef.pop("format", None)
                note = f"Ages of {fix.threshold} and over are shown as {fix.label!r}."
            else:
                note = f"Ages of {fix.threshold} and over are recorded as {fix.threshold}."
        elif isinstance(fix, PostcodesTo3):
            note = f"Postcodes shortened to {fix.length} characters."
        elif isinstance(fix, ZipsTo3):
            fdef["type"] = "string"
            fdef.pop("format", None)
            note = "ZIP codes shortened to 3 digits (000 for areas of 20,000 people or fewer)."
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
    table = (
        source
        if isinstance(source, Table)
        else open_table(
            source, filename=filename, dialect=dialect, limits=limits, progress=progress
        )
    )
    if schema is None:
        schema = profile(table, progress=progress).schema
    schema = normalise_schema(schema)
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
        if isinstance(fix, AgesTo90Plus) and ftype not in ("integer", "number"):
            raise FixError(
                f"ages_to_90_plus: column {fix.column!r} is {ftype}, not numeric.", field=fix.column
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
    return FixResult(
        schema=new_schema,
        records=[a.record() for a in applied],
        rows=writer.rows,
        sha256=writer.sha256,
        size=writer.size,
        header=header,
    )
