"""Carry a data dictionary from one version of a table to the next.

What an uploader settled about a column (its type, label, description, unit, role,
missing-value codes, to which the new file's own are added, and whether it is
required) describes the study, not one file, so a new version starts from it for
every column it still has; columns new to the file keep what inference found. A
carried type the new file's values no longer fit is given up for the inferred one
(see :func:`give_up_types`), so carrying never turns a good file into one full of
errors.
"""

from __future__ import annotations

import copy
from collections.abc import Collection
from typing import Any

from .schema import missing_values

#: Field properties the previous version's dictionary decides, present or absent.
CARRIED = ("title", "description", "unit", "role")
#: Properties that travel with the type.
TYPED = ("type", "format")


def carry_dictionary(inferred: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    """``inferred`` (the new file's schema) with ``previous``'s decisions on the
    columns both have."""
    before = {f["name"]: f for f in previous.get("fields", [])}
    merged = copy.deepcopy(inferred)
    for fdef in merged.get("fields", []):
        old = before.get(fdef["name"])
        if old is None:
            continue
        for key in (*CARRIED, *TYPED):
            if key in old:
                fdef[key] = copy.deepcopy(old[key])
            else:
                fdef.pop(key, None)
        # The codes as they applied to the column, whether set on it or on the table, and
        # any the new file brings: a new "NA" must not turn a column of numbers into text.
        codes = missing_values(previous, old)
        fdef["missingValues"] = codes + [
            code for code in missing_values(inferred, fdef) if code not in codes
        ]
        constraints = dict(fdef.get("constraints") or {})
        if (old.get("constraints") or {}).get("required"):
            constraints["required"] = True
        else:
            constraints.pop("required", None)
        if constraints:
            fdef["constraints"] = constraints
        else:
            fdef.pop("constraints", None)
    return merged


def carried_types(inferred: dict[str, Any], merged: dict[str, Any]) -> list[str]:
    """Columns whose type (or date format) in ``merged`` is not the inferred one."""
    found = {f["name"]: f for f in inferred.get("fields", [])}
    return [
        f["name"]
        for f in merged.get("fields", [])
        if any(f.get(key) != found.get(f["name"], {}).get(key) for key in TYPED)
    ]


def give_up_types(
    inferred: dict[str, Any], merged: dict[str, Any], columns: Collection[str]
) -> dict[str, Any]:
    """``merged`` with the inferred type and format back on ``columns``."""
    found = {f["name"]: f for f in inferred.get("fields", [])}
    out = copy.deepcopy(merged)
    for fdef in out.get("fields", []):
        if fdef["name"] not in columns:
            continue
        for key in TYPED:
            if key in found[fdef["name"]]:
                fdef[key] = found[fdef["name"]][key]
            else:
                fdef.pop(key, None)
    return out
