"""Screen a table for information that could identify participants.

Two kinds of evidence are combined: column names (``email``, ``dob``,
``nhs_number`` ...) and cell contents, whatever the header says, following
the HIPAA Safe Harbor list: e-mail addresses (also written out as "name at
example dot org"), telephone numbers (checked with ``phonenumbers``), UK
postcodes and US ZIP codes, social security numbers with or without dashes
(SSA numbering rules), NHS numbers (modulus-11 check, ``python-stdnum``),
street addresses, full dates, ages over 89, and personal names: cells that
are names (checked against bundled lists of common given names and
surnames, see :mod:`datasets.lexicon`) and names mentioned inside free text.
Findings never carry the sensitive values themselves: examples are masked
(``J*** S****``) and rows are given by number.

Severity: direct identifiers found with confidence **block** publication;
quasi-identifiers, free-text columns and direct identifiers found only by a
weak pattern **warn**: a person must confirm each before publication.

Re-identification risk is measured over the quasi-identifiers (those the
uploader marks plus those recognised by name): the size of the smallest
group of rows sharing the same combination of values (k-anonymity) and the
share of rows that are unique on it. ``k_anonymity`` reports the marked
columns alone.

Cost: text columns are looked at once per distinct value where values
repeat; free text is first filtered by a vectorised pattern, and the
per-value checks (name lists, check digits, phone numbering plans) stop
after a bounded number of values per column.
"""

from __future__ import annotations

from .columns import CHECK_LIMIT, FREE_TEXT_MIN_CHARS, FREE_TEXT_MIN_WORDS, NAME_SAMPLE, TEXT_SAMPLE
from .findings import (
    BLOCK,
    DIRECT,
    MAX_EXAMPLES,
    QUASI,
    TEXT,
    WARN,
    Finding,
    KAnonymity,
    ScreeningReport,
    finding_key,
    mask,
)
from .rules import _CONTENT_RULES, PHONE_REGIONS, may_hold
from .table import screen

__all__ = [
    "BLOCK",
    "CHECK_LIMIT",
    "DIRECT",
    "FREE_TEXT_MIN_CHARS",
    "FREE_TEXT_MIN_WORDS",
    "MAX_EXAMPLES",
    "NAME_SAMPLE",
    "PHONE_REGIONS",
    "QUASI",
    "TEXT",
    "TEXT_SAMPLE",
    "WARN",
    "_CONTENT_RULES",
    "Finding",
    "KAnonymity",
    "ScreeningReport",
    "finding_key",
    "mask",
    "may_hold",
    "screen",
]
