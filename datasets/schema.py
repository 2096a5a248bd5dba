"""The Table Schema document: check and normalise schemas that users edit.

A schema is a Frictionless Table Schema (``fields``, ``missingValues``,
``primaryKey``) as plain JSON; :mod:`datasets.inference` infers one from a
file. :func:`check_schema` names every problem with its field, and
:func:`normalise_schema` returns a checked copy or raises ``SchemaError``.

Portal extensions on each field (allowed by Table Schema as custom
properties): ``title``, ``description``, ``unit`` and ``role``, one of
``participant_id, arm, outcome, covariate, time, event, study_id, none``.
Roles are suggestions from column names and contents; uploaders confirm them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from .errors import SchemaError
from .fieldtypes import SUPPORTED_TYPES, TABLE_SCHEMA_TYPES, Checker, checker_for

ROLES = ("participant_id", "arm", "outcome", "covariate", "time", "event", "study_id", "none")

_STRING_FORMATS = ("default", "email", "uri", "uuid", "binary")
_CONSTRAINTS = (
    "required",
    "unique",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "enum",
    "exclusiveMinimum",
    "exclusiveMaximum",
)


def check_schema(schema: Any, header: list[str] | None = None) -> list[dict[str, Any]]:
    """Every problem with a Table Schema, each naming its field. Empty if usable."""
    problems: list[dict[str, Any]] = []

    def bad(field_name: str | None, message: str) -> None:
        prefix = f"field {field_name!r}: " if field_name is not None else ""
        problems.append({"field": field_name, "message": prefix + message})

    if not isinstance(schema, dict):
        bad(None, "the schema must be a JSON object")
        return problems
    fields = schema.get("fields")
    if not isinstance(fields, list) or not fields:
        bad(None, "the schema must have a non-empty list of fields")
        return problems
    _check_codes(schema.get("missingValues", [""]), None, bad)
    names: list[str] = []
    for pos, fdef in enumerate(fields, start=1):
        if not isinstance(fdef, dict):
            bad(None, f"field {pos} must be an object")
            continue
        name = fdef.get("name")
        if not isinstance(name, str) or not name:
            bad(None, f"field {pos} needs a non-empty name")
            continue
        if name in names:
            bad(name, "the name is used by more than one field")
        names.append(name)
        _check_field(fdef, name, bad)
    pk = schema.get("primaryKey")
    if pk is not None:
        keys = [pk] if isinstance(pk, str) else pk
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys) or not keys:
            bad(None, "primaryKey must be a field name or a list of field names")
        else:
            for k in keys:
                if k not in names:
                    bad(k, "is listed in primaryKey but there is no such field")
    return problems


def _check_codes(codes: Any, name: str | None, bad: Callable[[str | None, str], None]) -> None:
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        bad(name, "missingValues must be a list of strings")


def _check_field(fdef: dict[str, Any], name: str, bad: Callable[[str | None, str], None]) -> None:
    ftype = fdef.get("type", "string")
    if ftype not in TABLE_SCHEMA_TYPES:
        bad(name, f"unknown type {ftype!r}")
        return
    if ftype not in SUPPORTED_TYPES:
        bad(name, f"type {ftype!r} is not supported here (use one of {', '.join(SUPPORTED_TYPES)})")
        return
    fmt = fdef.get("format", "default")
    if not isinstance(fmt, str):
        bad(name, "format must be a string")
        return
    if ftype == "string" and fmt not in _STRING_FORMATS:
        bad(name, f"string format must be one of {', '.join(_STRING_FORMATS)}")
    if ftype in ("date", "datetime", "time") and fmt not in ("default", "any"):
        if "%" not in fmt:
            bad(name, f"format {fmt!r} must be 'default', 'any' or a pattern such as %d/%m/%Y")
        else:
            try:
                pc.strptime(pa.array(["2000-01-01"]), format=fmt, unit="s", error_is_null=True)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                bad(name, f"format {fmt!r} cannot be used: {exc}")
    if ftype in ("integer", "number", "boolean", "year") and fmt != "default":
        bad(name, f"{ftype} fields only support the default format")
    role = fdef.get("role")
    if role is not None and role not in ROLES:
        bad(name, f"role must be one of {', '.join(ROLES)}")
    for key in ("title", "description", "unit"):
        if key in fdef and fdef[key] is not None and not isinstance(fdef[key], str):
            bad(name, f"{key} must be text")
    if "missingValues" in fdef:
        _check_codes(fdef["missingValues"], name, bad)
    for key in ("trueValues", "falseValues"):
        if key in fdef and (
            not isinstance(fdef[key], list) or not all(isinstance(v, str) for v in fdef[key])
        ):
            bad(name, f"{key} must be a list of strings")
    for key in ("decimalChar", "groupChar"):
        if key in fdef and (not isinstance(fdef[key], str) or len(fdef[key]) != 1):
            bad(name, f"{key} must be a single character")
    constraints = fdef.get("constraints", {})
    if not isinstance(constraints, dict):
        bad(name, "constraints must be an object")
        return
    try:
        checker = checker_for(fdef)
    except SchemaError as exc:
        bad(name, exc.message)
        return
    for key, value in constraints.items():
        if key not in _CONSTRAINTS:
            bad(name, f"unknown constraint {key!r}")
        elif key in ("required", "unique"):
            if not isinstance(value, bool):
                bad(name, f"constraint {key} must be true or false")
        elif key in ("minLength", "maxLength"):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                bad(name, f"constraint {key} must be a non-negative integer")
        elif key == "pattern":
            _check_pattern(value, name, bad)
        elif key == "enum":
            if not isinstance(value, list) or not value:
                bad(name, "constraint enum must be a non-empty list")
            else:
                for v in value:
                    _check_scalar(checker, v, name, "enum", bad)
        else:
            if ftype in ("string", "boolean", "any"):
                bad(name, f"constraint {key} does not apply to {ftype} fields")
            else:
                _check_scalar(checker, value, name, key, bad)


def _check_scalar(
    checker: Checker, value: Any, name: str, key: str, bad: Callable[[str | None, str], None]
) -> None:
    try:
        checker.parse_scalar(value)
    except (ValueError, TypeError) as exc:
        bad(name, f"constraint {key} value {value!r} is not a valid {checker.type}: {exc}")


def _check_pattern(value: Any, name: str, bad: Callable[[str | None, str], None]) -> None:
    if not isinstance(value, str):
        bad(name, "constraint pattern must be a regular expression string")
        return
    try:
        pc.match_substring_regex(pa.array(["x"]), pattern=f"^(?:{value})$")
    except pa.ArrowInvalid as exc:
        bad(name, f"constraint pattern is not a valid regular expression: {exc}")


def normalise_schema(schema: Any) -> dict[str, Any]:
    """A checked deep copy with primaryKey as a list; raises SchemaError."""
    problems = check_schema(schema)
    if problems:
        raise SchemaError(problems)
    out: dict[str, Any] = copy.deepcopy(schema)
    pk = out.get("primaryKey")
    if isinstance(pk, str):
        out["primaryKey"] = [pk]
    return out


def field_by_name(schema: dict[str, Any], name: str) -> dict[str, Any]:
    fields: list[dict[str, Any]] = schema["fields"]
    for fdef in fields:
        if fdef["name"] == name:
            return fdef
    raise KeyError(name)


def missing_values(schema: dict[str, Any], fdef: dict[str, Any]) -> list[str]:
    return list(fdef.get("missingValues", schema.get("missingValues", [""])))
