"""The shape of a condition code.

No list of ICD codes ships with the portal (the WHO's ICD-10 and ICD-11 tables are
not bundled), so a code is checked by its shape only: ICD-10 is a letter, two
digits and an optional dotted extension (E11, C18.7, G35); an ICD-11 stem code has a
second character that is a letter (5A11, 2B90, 8A40.0, 1F40.Z) and never uses the
letters I or O.
"""

from __future__ import annotations

import re

ICD10 = re.compile(r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$")
ICD11 = re.compile(r"^[0-9A-HJ-NP-Z][A-HJ-NP-Z][0-9][0-9A-HJ-NP-Z](\.[0-9A-HJ-NP-Z]{1,4})?$")
CODE_MAX = 16


def system_of(code: str) -> str | None:
    """ "ICD-10" or "ICD-11" for a code of that shape, else None."""
    if ICD10.match(code):
        return "ICD-10"
    if ICD11.match(code):
        return "ICD-11"
    return None


def normalise(code: str) -> str:
    """What the member typed, upper-cased and without spaces around it."""
    return (code or "").strip().upper()
