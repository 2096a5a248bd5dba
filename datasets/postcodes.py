"""Postal codes by country: recognise UK postcodes and US ZIP codes, and reduce
each to the coarser area its own country's rule allows.

Each country writes its codes differently, so no one "first N characters" rule
is right: the UK outward code is what comes before the last three characters
(the inward code), so "M1 1AE" is district "M1" and "M11AE" is the same
postcode, while a US ZIP code's area is its first three digits. A value that
fits no rule is never guessed at: the functions here return null for it, and
the fix that calls them counts it.

The sparse ZIP areas are the 17 three-digit ZIP codes that the US Department of
Health and Human Services lists, from the 2000 Census, as covering 20,000
people or fewer: "Guidance Regarding Methods for De-identification of Protected
Health Information in Accordance with the HIPAA Privacy Rule" (Office for Civil
Rights, 2012, section "When can ZIP codes be included in de-identified
information?"; 45 CFR 164.514(b)(2)(i)(B)), a work of the US federal
government and so in the public domain. HHS asks for newer Census figures where
published; the list is kept as HHS publishes it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .masks import bool_mask

#: Three-digit ZIP areas of 20,000 people or fewer (HHS, 2000 Census): these become "000".
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

# The outward code: area (one or two letters; Q, V and X never first, I, J and Z
# never second), district digit and an optional digit or letter. GIR 0AA is the
# one postcode outside the pattern.
_UK_OUTWARD = r"(?:[A-PR-UWYZ][A-HK-Y]?[0-9][A-Z0-9]?|GIR)"
# The inward code: sector digit and two letters (never C, I, K, M, O or V).
_UK_INWARD = r"[0-9][ABD-HJLNP-UW-Z]{2}"
UK_FULL = f"^{_UK_OUTWARD}{_UK_INWARD}$"
UK_OUTWARD_ONLY = f"^{_UK_OUTWARD}$"

# Values as written: ZIP, ZIP+4 (with a dash, a space or nothing between),
# and three or four digits where a spreadsheet dropped the leading zeros.
_ZIP5 = r"^[0-9]{5}(?:[- ]?[0-9]{4})?$"
_ZIP_SHORT = r"^[0-9]{3,4}$"


def normalise_uk(values: pa.Array) -> pa.Array:
    """Upper case with every space removed: "m1 1ae", "M11AE" and " M1  1AE" all
    become "M11AE", the form the outward code is a prefix of."""
    return pc.replace_substring_regex(pc.utf8_upper(values), pattern=r"\s+", replacement="")


def uk_outward(values: pa.Array) -> pa.Array:
    """Each UK postcode's outward code ("M1 1AE" -> "M1", "sw1a1aa" -> "SW1A"); an
    outward code alone stays as it is; anything else is null."""
    norm = normalise_uk(values)
    full = bool_mask(pc.match_substring_regex(norm, pattern=UK_FULL))
    alone = bool_mask(pc.match_substring_regex(norm, pattern=UK_OUTWARD_ONLY))
    outward = pc.replace_substring_regex(norm, pattern=_UK_INWARD + "$", replacement="")
    empty = pa.nulls(len(values), pa.string())
    return pc.if_else(pa.array(full), outward, pc.if_else(pa.array(alone), norm, empty))


def normalise_zip(values: pa.Array, *, whole_numbers: bool = False) -> pa.Array:
    """The ZIP code's digits, five (or nine) long, with the leading zeros a number
    column lost put back ("2139" -> "02139"); a three-digit ZIP area written as text
    stays three digits. Anything else is null.

    ``whole_numbers``: the column holds integers, so "501" is ZIP code 00501 (a
    number cannot keep leading zeros), not the area 501.
    """
    text = pc.utf8_trim_whitespace(values)
    digits = pc.replace_substring_regex(text, pattern=r"[- ]", replacement="")
    five = bool_mask(pc.match_substring_regex(text, pattern=_ZIP5))
    short = bool_mask(pc.match_substring_regex(text, pattern=_ZIP_SHORT))
    length = np.asarray(pc.fill_null(pc.utf8_length(text), 0).to_numpy(zero_copy_only=False))
    padded = short & ((length == 4) | whole_numbers)
    area = short & ~padded
    out = pc.if_else(
        pa.array(padded), pc.utf8_lpad(text, 5, "0"), pa.nulls(len(values), pa.string())
    )
    out = pc.if_else(pa.array(area), text, out)
    return pc.if_else(pa.array(five), digits, out)


def zip3(values: pa.Array, *, whole_numbers: bool = False) -> pa.Array:
    """Each ZIP code's first three digits, or "000" where they cover 20,000 people or
    fewer (HIPAA Safe Harbor); null for anything that is not a ZIP code."""
    norm = normalise_zip(values, whole_numbers=whole_numbers)
    area = pc.utf8_slice_codeunits(norm, 0, 3)
    sparse = bool_mask(pc.is_in(area, value_set=pa.array(sorted(SPARSE_ZIP3))))
    return pc.if_else(pa.array(sparse), "000", area)


def first_characters(values: pa.Array, length: int) -> pa.Array:
    """The first ``length`` characters of each value, as written (spaces at either end
    trimmed): no country's rule, only what it says."""
    return pc.utf8_trim_whitespace(
        pc.utf8_slice_codeunits(pc.utf8_trim_whitespace(values), 0, length)
    )


# -- what a column holds ------------------------------------------------------

UK, ZIP, OTHER = "uk", "zip", "other"


@dataclass
class Shapes:
    """How many values of a column look like each country's codes, and how many are
    finer than that country allows."""

    uk: int = 0  # full postcodes or outward codes
    zip: int = 0  # ZIP, ZIP+4 or three-digit areas
    other: int = 0
    fine: int = 0  # values that still say more than the area the rule keeps

    def add(self, values: pa.Array, *, whole_numbers: bool = False) -> np.ndarray:
        """Count ``values`` (none missing); returns which of them are too fine."""
        norm = normalise_uk(values)
        uk_full = bool_mask(pc.match_substring_regex(norm, pattern=UK_FULL))
        uk_alone = bool_mask(pc.match_substring_regex(norm, pattern=UK_OUTWARD_ONLY))
        zipped = normalise_zip(values, whole_numbers=whole_numbers)
        is_zip = ~np.asarray(pc.is_null(zipped).to_numpy(zero_copy_only=False), dtype=bool)
        zlen = np.asarray(pc.fill_null(pc.utf8_length(zipped), 0).to_numpy(zero_copy_only=False))
        sparse = bool_mask(
            pc.is_in(pc.utf8_slice_codeunits(zipped, 0, 3), value_set=pa.array(sorted(SPARSE_ZIP3)))
        )
        is_uk = (uk_full | uk_alone) & ~is_zip
        other = ~is_uk & ~is_zip
        long_other = other & bool_mask(pc.greater(pc.utf8_length(norm), 3))
        fine: np.ndarray = (is_uk & uk_full) | (is_zip & ((zlen > 3) | sparse)) | long_other
        self.uk += int(is_uk.sum())
        self.zip += int(is_zip.sum())
        self.other += int(other.sum())
        self.fine += int(fine.sum())
        return fine

    @property
    def total(self) -> int:
        return self.uk + self.zip + self.other

    def country(self) -> str:
        """UK or ZIP when most values fit that country's rule, else OTHER."""
        if self.uk * 2 > self.total and self.uk > self.zip:
            return UK
        if self.zip * 2 > self.total:
            return ZIP
        return OTHER
