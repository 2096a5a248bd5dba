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

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from stdnum.gb import nhs as stdnum_nhs

from . import postcodes
from .detect import Dialect, Progress
from .errors import DatasetError
from .fieldtypes import (
    NumericChecker,
    bool_mask,
    checker_for,
    combine_hashes,
    hash_values,
    missing_mask,
)
from .inference import profile
from .lexicon import TEXT_CANDIDATE, mentions_name, name_cells
from .limits import DEFAULT_LIMITS, Limits
from .reading import Table, open_table
from .schema import missing_values, normalise_schema
from .stats import DistinctHashes

MAX_EXAMPLES = 5

DIRECT, QUASI, TEXT = "direct", "quasi", "free-text"
BLOCK, WARN = "block", "warn"

#: Per column and per check, how many values the Python-level checks (check
#: digits, phone numbering plans, names in text) look at; past it the share
#: seen so far decides, so a file of millions of rows costs no more.
CHECK_LIMIT = 20_000
#: Regions whose national phone formats are recognised (international
#: "+<country code>" numbers are recognised whatever the region).
PHONE_REGIONS = ("US", "GB")
#: Free text: text cells at least this long on average, with spaces, that
#: mostly differ from each other.
FREE_TEXT_MIN_CHARS = 25
FREE_TEXT_MIN_WORDS = 4
#: How many cells of a column are measured for that.
TEXT_SAMPLE = 10_000
#: How many cells of text that could mention a person are read word by word,
#: per column: at most a quarter of them from one batch, spread evenly over it,
#: so the sample reaches well into a large file.
NAME_SAMPLE = 10_000


def mask(value: str, keep: int = 1, limit: int = 24) -> str:
    """Hide a value but keep its shape: the first character of each run of
    letters or digits survives, everything else alphanumeric becomes '*'."""
    out = []
    run = 0
    for ch in value[:limit]:
        if ch.isalnum():
            out.append(ch if run < keep else "*")
            run += 1
        else:
            out.append(ch)
            run = 0
    if len(value) > limit:
        out.append("…")
    masked = "".join(out)
    if masked == value and len(value) > 1:
        masked = value[0] + "*" * (len(value) - 1)
    if masked == value:  # e.g. "0*": nothing left to hide by shape, so hide it all
        masked = "*" * len(value) if set(value) != {"*"} else "?" * len(value)
    return masked


def finding_key(finding: dict[str, Any]) -> str:
    """The key of a finding given as a dict (Finding.to_dict()'s fields)."""
    return f"{finding['kind']}:{finding.get('column_number') or 0}:{finding.get('column') or ''}"


@dataclass
class Finding:
    column: str | None
    column_number: int | None  # 1-based position
    kind: str
    category: str  # "direct" or "quasi"
    severity: str  # "block" or "warn"
    evidence: str  # "column-name", "content" or "column-name+content"
    count: int
    rows: list[int]
    examples: list[str]  # masked
    message: str
    suggested_fix: dict[str, Any] | None = None

    @property
    def key(self) -> str:
        """Names the finding among a version's findings, for the confirmations."""
        return finding_key(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        out = {
            "column": self.column,
            "column_number": self.column_number,
            "kind": self.kind,
            "category": self.category,
            "severity": self.severity,
            "evidence": self.evidence,
            "count": self.count,
            "rows": self.rows,
            "examples": self.examples,
            "message": self.message,
            "suggested_fix": self.suggested_fix,
        }
        out["key"] = finding_key(out)
        return out


@dataclass
class KAnonymity:
    quasi_identifiers: list[str]
    k: int
    rows: int
    classes: int
    min_class_size: int
    classes_below_k: int
    rows_in_classes_below_k: int
    example_rows: list[int]
    unique_rows: int = 0

    @property
    def satisfied(self) -> bool:
        return self.min_class_size >= self.k

    @property
    def unique_share(self) -> float:
        """The share of rows no other row shares the quasi-identifiers with."""
        return self.unique_rows / self.rows if self.rows else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "quasi_identifiers": self.quasi_identifiers,
            "k": self.k,
            "rows": self.rows,
            "classes": self.classes,
            "min_class_size": self.min_class_size,
            "classes_below_k": self.classes_below_k,
            "rows_in_classes_below_k": self.rows_in_classes_below_k,
            "example_rows": self.example_rows,
            "satisfied": self.satisfied,
            "unique_rows": self.unique_rows,
            "unique_share": self.unique_share,
        }


@dataclass
class ScreeningReport:
    findings: list[Finding]
    suggested_quasi_identifiers: list[str]
    k_anonymity: KAnonymity | None
    rows_screened: int
    #: Over every quasi-identifier, marked or recognised (None when there are none).
    risk: KAnonymity | None = None

    @property
    def blocking(self) -> bool:
        """True when a direct identifier must be removed before publication."""
        return any(f.severity == BLOCK for f in self.findings)

    @property
    def must_confirm(self) -> list[Finding]:
        """The findings a person must confirm before publication."""
        return [f for f in self.findings if f.severity != BLOCK]

    def columns_flagged(self, category: str = DIRECT) -> set[str]:
        return {f.column for f in self.findings if f.category == category and f.column}

    def to_dict(self) -> dict[str, Any]:
        return {
            "blocking": self.blocking,
            "findings": [f.to_dict() for f in self.findings],
            "suggested_quasi_identifiers": self.suggested_quasi_identifiers,
            "k_anonymity": self.k_anonymity.to_dict() if self.k_anonymity else None,
            "risk": self.risk.to_dict() if self.risk else None,
            "rows_screened": self.rows_screened,
        }


# ----------------------------------------------------------- name rules --


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


# (kind, category, pattern on the normalised column name, description)
_NAME_RULES: tuple[tuple[str, str, str, str], ...] = (
    (
        "name",
        DIRECT,
        r"((first|last|given|family|sur|fore|full|middle|maiden|patient|participant|subject|"
        r"person|contact|mother|father|child)_?names?|names?|surname|forename|initials)",
        "personal names",
    ),
    ("email", DIRECT, r"(e_?mail|email_?address|mail)", "e-mail addresses"),
    (
        "phone",
        DIRECT,
        r"(tel|telephone|phone|phone_?(no|number)|mobile|cell|fax|contact_?no)",
        "telephone numbers",
    ),
    (
        "street-address",
        DIRECT,
        r"(address|addr|street|address_?line_?\d*|home_?address|residence|house_?(no|number))",
        "street addresses",
    ),
    (
        "national-id",
        DIRECT,
        r"(ssn|social_?security(_?(no|number))?|nhs_?(no|number|num)?|nino|ni_?number|"
        r"national_?(id|insurance|number)|passport(_?(no|number))?|chi_?(no|number)?|"
        r"medicare(_?(no|number))?|health_?card|insurance_?(no|number|id)|driver_?licen[cs]e|"
        r"tax_?id|sin|bsn|personnummer|steuer_?id)",
        "national or insurance numbers",
    ),
    (
        "medical-record-number",
        DIRECT,
        r"(mrn|medical_?record(_?(no|number))?|hospital_?(no|number|id)|hosp_?no|"
        r"patient_?record|chart_?(no|number)|case_?note(_?number)?)",
        "medical record numbers",
    ),
    (
        "date-of-birth",
        DIRECT,
        r"(dob|date_?of_?birth|birth_?date|birthdate|birthday|bdate|dt_?birth)",
        "dates of birth",
    ),
    ("ip-address", DIRECT, r"(ip|ip_?address|ipaddr)", "IP addresses"),
)

_NAME_RULES_BY_KIND = {kind: pattern for kind, _, pattern, _ in _NAME_RULES}

_QUASI_NAME_RULES: tuple[tuple[str, str], ...] = (
    ("sex", r"(sex|gender)"),
    ("ethnicity", r"(ethnic|ethnicity|ethnic_?group|race|ancestry)"),
    ("religion", r"(religion|faith)"),
    ("nationality", r"(nationality|citizenship|country(_?of_?birth)?|birth_?country)"),
    (
        "geography",
        r"(region|state|province|county|city|town|district|municipality|"
        r"zip3|postcode_?district|area|neighbou?rhood|lsoa|msoa)",
    ),
    ("site", r"(site|centre|center|hospital|clinic|practice|institution)"),
    ("occupation", r"(occupation|job|profession|employment|employer)"),
    ("marital-status", r"(marital|marital_?status|married)"),
    ("education", r"(education|edu|schooling|qualification)"),
    ("income", r"(income|salary|wealth)"),
    ("height", r"(height|ht|height_?cm)"),
    ("weight", r"(weight|wt|weight_?kg|body_?weight)"),
    ("year-of-birth", r"(yob|year_?of_?birth|birth_?year)"),
    ("language", r"(language|lang|first_?language)"),
)

_AGE_NAME = r"(age|age_?(years|yrs|y|at_?\w+|in_?years|baseline|entry)|\w+_age)"
_POSTCODE_NAME = (
    r"(zip|zip_?code|zipcode|post_?code|postcode|postal(_?code)?|plz|zip5|"
    r"post_?code_?full)"
)
_REFERENCE_DATE_NAME = (
    r"(\w*(randomi[sz]|enrol|enroll|entry|baseline|registration|regist|"
    r"start|consent|index|admission|surgery|diagnos)\w*)"
)

# ------------------------------------------------------- content rules --


@dataclass(frozen=True)
class _ContentRule:
    kind: str
    category: str
    pattern: str
    description: str
    strong: bool  # a single match is enough for a confident finding
    min_fraction: float = 0.0  # weak rules need this share of cells to match
    gate: str | None = None  # plain substring every match must contain
    check: Callable[[str], bool] | None = None
    # Which columns the rule reads: "text" (string columns), "digits" (also
    # whole numbers), "geography" (also whole numbers in a column named for a place).
    scope: str = "text"
    # Every match holds a digit 0-9, so cells without one need not be read.
    needs_digit: bool = False


def may_hold(values: pa.Array, char: str) -> bool:
    """False only when no cell of ``values`` holds ``char``, a one-byte character.

    One pass over the bytes behind the cells, far cheaper than matching cell by
    cell; an ASCII byte is never part of another UTF-8 character, so the answer
    is exact for "no", and a "maybe" is settled by the cell-by-cell match.
    """
    if not isinstance(values, pa.Array) or values.type != pa.string() or len(char.encode()) != 1:
        return True
    if len(values) == 0:
        return False
    _, offsets, data = values.buffers()
    if offsets is None:
        return True
    if data is None:  # no cell holds a single byte
        return False
    bounds = np.frombuffer(offsets, dtype=np.int32)[values.offset : values.offset + len(values) + 1]
    body = np.frombuffer(data, dtype=np.uint8)[int(bounds[0]) : int(bounds[-1])]
    return bool((body == ord(char)).any())


def _nhs_number(value: str) -> bool:
    return bool(stdnum_nhs.is_valid(value))


def _phone_number(value: str) -> bool:
    """Whether the cell is one telephone number valid in its numbering plan."""
    digits = sum(c.isdigit() for c in value)
    for region in PHONE_REGIONS:
        for match in phonenumbers.PhoneNumberMatcher(
            value, region, leniency=phonenumbers.Leniency.VALID
        ):
            if sum(c.isdigit() for c in match.raw_string) >= digits - 1:
                return True
    return False


# SSA numbering rules: no area 000, 666 or 900-999, no group 00, no serial 0000.
_SSN_AREA = r"(?:00[1-9]|0[1-9]\d|[1-578]\d\d|6[0-57-9]\d|66[0-57-9])"
_SSN_GROUP = r"(?:0[1-9]|[1-9]\d)"
_SSN_SERIAL = r"(?:000[1-9]|00[1-9]\d|0[1-9]\d\d|[1-9]\d{3})"

# E-mail addresses spelt out to get past filters: "name at gmail dot com",
# "name [at] example [dot] org", "name(at)example.org".
_SPELT_AT = r"(?:\s*[(\[{<]\s*at\s*[)\]}>]\s*|\s+at\s+|\s*@\s*)"
_SPELT_DOT = r"(?:\.|\s*[(\[{<]\s*dot\s*[)\]}>]\s*|\s+dot\s+)"
_TLD = (
    r"(?:com|org|net|edu|gov|mil|int|info|biz|io|co|uk|de|fr|nl|es|it|ca|au|nz|ie|us|ch|"
    r"se|no|dk|fi|be|pl|in|jp|cn|br|za|mx|ru|eu)"
)
_SPELT_EMAIL = (
    rf"(?i)(?:^|[^a-z0-9._%+-])[a-z0-9._%+-]+{_SPELT_AT}[a-z0-9-]+(?:{_SPELT_DOT}[a-z0-9-]+)*"
    rf"{_SPELT_DOT}{_TLD}(?:[^a-z0-9]|$)"
)


_CONTENT_RULES: tuple[_ContentRule, ...] = (
    _ContentRule(
        "email",
        DIRECT,
        r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",
        "e-mail addresses",
        strong=True,
        gate="@",
    ),
    _ContentRule(
        "email",
        DIRECT,
        _SPELT_EMAIL,
        "e-mail addresses written out in words",
        strong=True,
    ),
    _ContentRule(
        "national-id",
        DIRECT,
        r"(?:^|[^0-9])\d{3}-\d{2}-\d{4}(?:[^0-9]|$)",
        "US social security numbers",
        strong=True,
        gate="-",
        needs_digit=True,
    ),
    _ContentRule(
        "national-id",
        DIRECT,
        rf"^{_SSN_AREA} ?{_SSN_GROUP} ?{_SSN_SERIAL}$",
        "US social security numbers (nine digits that follow the SSA numbering rules)",
        strong=False,
        min_fraction=0.5,
        scope="digits",
        needs_digit=True,
    ),
    _ContentRule(
        "national-id",
        DIRECT,
        r"^\d{3}[ -]?\d{3}[ -]?\d{4}$",
        "NHS numbers (valid check digit)",
        strong=False,
        min_fraction=0.5,
        check=_nhs_number,
        scope="digits",
        needs_digit=True,
    ),
    _ContentRule(
        "zip-code",
        DIRECT,
        r"^\d{5}(?:-\d{4})?$",
        "US ZIP codes (5-digit or ZIP+4; Safe Harbor allows only the first three digits)",
        strong=False,
        min_fraction=0.5,
        scope="geography",
        needs_digit=True,
    ),
    _ContentRule(
        "national-id",
        DIRECT,
        r"^[A-CEGHJ-PR-TW-Za-ceghj-pr-tw-z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-Da-d]$",
        "UK National Insurance numbers",
        strong=True,
        needs_digit=True,
    ),
    _ContentRule(
        "postcode",
        DIRECT,
        r"(?:^|[^A-Za-z0-9])[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}(?:[^A-Za-z0-9]|$)",
        "full UK postcodes",
        strong=True,
        needs_digit=True,
    ),
    _ContentRule(
        "phone",
        DIRECT,
        r"^[+(]?[0-9][0-9 ().\-/]{6,24}[0-9]$",
        "telephone numbers",
        strong=False,
        min_fraction=0.5,
        check=_phone_number,
        needs_digit=True,
    ),
    _ContentRule(
        "street-address",
        DIRECT,
        r"(?i)(?:^|[^0-9])\d{1,5}[a-z]? +(?:[a-z'.-]+ +){0,4}(?:street|st|road|rd|"
        r"avenue|ave|lane|ln|drive|dr|close|way|court|ct|boulevard|blvd|place|pl|"
        r"terrace|crescent|square|sq|highway|hwy|gardens|grove)\b",
        "street addresses",
        strong=False,
        min_fraction=0.1,
        needs_digit=True,
    ),
    _ContentRule(
        "ip-address",
        DIRECT,
        r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$",
        "IP addresses",
        strong=True,
        gate=".",
        needs_digit=True,
    ),
    _ContentRule(
        "full-date",
        DIRECT,
        r"(?:^|[^0-9])(?:(?:19|20)\d{2}[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])"
        r"|(?:0?[1-9]|[12]\d|3[01])[-/.](?:0?[1-9]|1[0-2])[-/.](?:19|20)\d{2}"
        r"|(?:0?[1-9]|[12]\d|3[01])[- ]?(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|"
        r"dec)[a-z]*[- ]?(?:19|20)\d{2})(?:[^0-9]|$)",
        "full dates",
        strong=True,
        needs_digit=True,
    ),
    _ContentRule(
        "name",
        DIRECT,
        r"^[A-Z][a-z'’-]+(?: [A-Z]\.?)?(?: (?:[Vv][ao]n |[Dd]e |O')?[A-Z][a-z'’-]+)+$",
        "what look like personal names",
        strong=False,
        min_fraction=0.5,
    ),
)


# --------------------------------------------------------------- screening --


@dataclass
class _Hits:
    count: int = 0
    rows: list[int] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)

    def add(self, rows: np.ndarray, values: pa.Array) -> None:
        self.count += int(rows.size)
        room = MAX_EXAMPLES - len(self.rows)
        if room > 0 and rows.size:
            self.rows.extend(int(r) for r in rows[:room])
            self.examples.extend(mask(v) for v in values.slice(0, room).to_pylist())


# Columns naming studies, their authors or their sites: names there are public
# citations and places, not participants.
_NOT_PEOPLE_NAME = (
    r"(\w*_)?(authors?|investigators?|study|studies|trial|trials|reference|citation|source|"
    r"journal|publication|drug|treatment|intervention|comparator|brand|product)(_\w*)?"
)


class _ColumnScreen:
    def __init__(
        self,
        position: int,
        fdef: dict[str, Any],
        schema: dict[str, Any],
        *,
        long_integers: bool = True,
    ) -> None:
        self.position = position
        self.fdef = fdef
        self.name = fdef["name"]
        self.norm = _norm(self.name)
        self.type = fdef.get("type", "string")
        self.missing = missing_values(schema, fdef)
        self.present = _Hits()  # any non-missing cell, for name-based findings
        self.content: dict[int, _Hits] = {}
        self.nonmissing = 0
        self.over_89 = _Hits()
        # A column top-coded at 90 holds 90 for "90 or over": only older ages stand out.
        self.oldest_allowed = (
            90
            if any(
                t.get("fix") == "top_code_ages" and t.get("threshold", 90) <= 90
                for t in fdef.get("transformations") or []
            )
            else 89
        )
        self.fine_postcode = _Hits()
        self.postcode_shapes = postcodes.Shapes()
        self.whole_uk_postcodes = 0  # cells that are a UK postcode and nothing else
        self.is_age = bool(re.fullmatch(_AGE_NAME, self.norm)) and self.type in (
            "integer",
            "number",
        )
        self.is_postcode = bool(re.fullmatch(_POSTCODE_NAME, self.norm))
        self.scan_content = self.type in ("string", "any")
        # Whole numbers can be national numbers (nine or ten digits) and, in a
        # column named for a place, ZIP codes; ``long_integers`` says whether
        # the column has any number long enough to be an SSN or NHS number.
        self.scan_digits = self.type == "integer" and long_integers
        self.scan_geography = self.type == "integer" and (
            self.is_postcode or self.quasi_kind() == "geography"
        )
        self.counter = True  # whole numbers that only ever go up: a running number
        self.last_number: float | None = None
        # Distinct values tell names (mostly unique) from labels that merely
        # look like names; only text columns need it, and only up to a point.
        self.distinct: DistinctHashes | None = (
            DistinctHashes(100_000) if self.scan_content else None
        )
        self.checks: dict[int, list[int]] = {}  # rule -> [values checked, passed]
        self.name_cells = _Hits()  # cells that are personal names
        self.name_values: set[int] = set()  # distinct names among them (bounded)
        self.text_names = _Hits()  # cells of text that mention a person
        self.text_checked = 0
        self.text_sampled = False  # some cells of text were not read for names
        self.text_cells = self.text_chars = self.text_spaces = 0

    def reads(self, rule: _ContentRule) -> bool:
        if self.scan_content:
            return True
        if rule.scope == "digits":
            return self.scan_digits
        if rule.scope == "geography":
            return self.scan_geography
        return False

    @property
    def free_text(self) -> bool:
        """Long, mostly different texts with spaces: notes a person must read."""
        if not self.text_cells or self.nonmissing < 2:
            return False
        distinct = self.distinct.count() if self.distinct is not None else None
        varied = distinct is None or distinct * 2 >= self.nonmissing
        return (
            varied
            and self.text_chars >= FREE_TEXT_MIN_CHARS * self.text_cells
            and self.text_spaces >= (FREE_TEXT_MIN_WORDS - 1) * self.text_cells
        )

    @property
    def needed(self) -> bool:
        """Whether the column must be read at all (plain numbers need not)."""
        return (
            self.scan_content
            or self.scan_digits
            or self.scan_geography
            or self.is_age
            or self.is_postcode
            or self.type in ("date", "datetime")
            or self.quasi_kind() is not None
            or any(re.fullmatch(rule[2], self.norm) for rule in _NAME_RULES)
        )

    def feed(self, arr: pa.Array, rows: np.ndarray) -> None:
        if self.scan_digits or self.scan_geography:
            self._running_number(arr)
        # Text columns usually repeat a few labels: look at each label once.
        labels = None
        if (self.scan_content or self.scan_digits or self.scan_geography) and len(arr) > 64:
            encoded = pc.dictionary_encode(arr)
            if isinstance(encoded, pa.ChunkedArray):
                encoded = encoded.combine_chunks()
            labels = encoded.dictionary
            if len(labels) * 2 <= len(arr):
                self._feed_encoded(
                    arr, rows, labels, encoded.indices.to_numpy(zero_copy_only=False)
                )
                return
        miss = missing_mask(arr, self.missing)
        if miss.any():
            keep = ~miss
            arr = arr.filter(pa.array(keep))
            rows = rows[keep]
        if len(arr) == 0:
            return
        self.nonmissing += len(arr)
        self.present.add(rows, arr)
        if self.distinct is not None:
            # The batch's distinct values are already at hand: hash only those.
            if labels is not None:
                self._distinct(labels.filter(pa.array(~missing_mask(labels, self.missing))))
            else:
                self._distinct(arr)
        if self.is_age:
            self._ages(arr, rows)
        if self.is_postcode:
            self._postcodes(arr, rows)
        if self.scan_content and self.text_cells < TEXT_SAMPLE:
            sample = arr.slice(0, TEXT_SAMPLE - self.text_cells)
            self.text_cells += len(sample)
            self.text_chars += int(pc.sum(pc.utf8_length(sample)).as_py() or 0)
            self.text_spaces += int(pc.sum(pc.count_substring(sample, pattern=" ")).as_py() or 0)
        if self.scan_content or self.scan_digits or self.scan_geography:
            self._content(arr, rows, arr, None)

    def _feed_encoded(
        self, arr: pa.Array, rows: np.ndarray, labels: pa.Array, indices: np.ndarray
    ) -> None:
        label_missing = missing_mask(labels, self.missing)
        present = ~label_missing[indices]
        n = int(present.sum())
        if n == 0:
            return
        self.nonmissing += n
        first = np.flatnonzero(present)[:MAX_EXAMPLES]
        self.present.add(rows[first], arr.take(pa.array(first)))
        if self.distinct is not None:
            self._distinct(labels.filter(pa.array(~label_missing)))
        if self.is_postcode:
            keep = np.flatnonzero(present)
            self._postcodes(arr.take(pa.array(keep)), rows[keep])
        # Missing labels must not match; blank them out of the label list.
        usable = pc.if_else(pa.array(label_missing), "", labels)
        self._content(usable, rows, arr, indices)

    def _running_number(self, arr: pa.Array) -> None:
        if not self.counter:
            return
        checker = checker_for(self.fdef)
        assert isinstance(checker, NumericChecker)  # only whole-number columns get here
        ok = checker.valid(arr) & ~missing_mask(arr, self.missing)
        if not ok.any():
            return
        numbers = checker.numbers(arr.filter(pa.array(ok)))
        if self.last_number is not None:
            numbers = np.concatenate(([self.last_number], numbers))
        if numbers.size > 1 and not bool(np.all(np.diff(numbers) > 0)):
            self.counter = False
        self.last_number = float(numbers[-1])

    def _distinct(self, values: pa.Array) -> None:
        assert self.distinct is not None
        self.distinct.add(hash_values(values.to_numpy(zero_copy_only=False)))
        if self.distinct.overflowed:
            self.distinct = None

    def _ages(self, arr: pa.Array, rows: np.ndarray) -> None:
        checker = checker_for(self.fdef)
        assert isinstance(checker, NumericChecker)  # ages are screened in number columns only
        ok = checker.valid(arr)
        numbers = np.full(len(arr), np.nan)
        if ok.any():
            numbers[ok] = checker.numbers(arr.filter(pa.array(ok)))
        with np.errstate(invalid="ignore"):
            old = numbers > self.oldest_allowed
        if old.any():
            idx = np.flatnonzero(old)
            self.over_89.add(rows[idx], arr.take(pa.array(idx)))

    def _postcodes(self, arr: pa.Array, rows: np.ndarray) -> None:
        fine = self.postcode_shapes.add(arr, whole_numbers=self.type == "integer")
        if fine.any():
            idx = np.flatnonzero(fine)
            self.fine_postcode.add(rows[idx], arr.take(pa.array(idx)))

    def _content(
        self, values: pa.Array, rows: np.ndarray, arr: pa.Array, indices: np.ndarray | None
    ) -> None:
        """Run the content rules on ``values`` (the cells, or the distinct labels
        that ``indices`` map the cells to)."""
        with_digit: np.ndarray | None = None
        digit_values = values
        for n, rule in enumerate(_CONTENT_RULES):
            if not self.reads(rule):
                continue
            if rule.gate is not None and not (
                may_hold(values, rule.gate)
                and bool(pc.any(pc.match_substring(values, pattern=rule.gate)).as_py())
            ):
                continue
            if rule.needs_digit:
                # Free text is mostly words: the rules for numbers read only the
                # cells that hold a digit.
                if with_digit is None and not self.scan_content:  # whole numbers
                    with_digit = np.ones(len(values), dtype=bool)
                elif with_digit is None:
                    with_digit = bool_mask(pc.match_substring_regex(values, pattern="[0-9]"))
                    if not with_digit.all():
                        digit_values = values.filter(pa.array(with_digit))
                if not with_digit.any():
                    continue
                found = bool_mask(pc.match_substring_regex(digit_values, pattern=rule.pattern))
                if len(digit_values) == len(values):
                    hit = found
                else:
                    hit = np.zeros(len(values), dtype=bool)
                    hit[with_digit] = found
            else:
                hit = bool_mask(pc.match_substring_regex(values, pattern=rule.pattern))
            if rule.check is not None and hit.any():
                self._check(n, rule.check, values, hit)
            if rule.kind == "phone" and hit.any():
                digits = pc.count_substring_regex(values, pattern=r"[0-9]").to_numpy(
                    zero_copy_only=False
                )
                hit &= digits >= 9
            if not hit.any():
                continue
            if rule.kind == "postcode":
                whole = bool_mask(
                    pc.match_substring_regex(
                        postcodes.normalise_uk(values), pattern=postcodes.UK_FULL
                    )
                )
                whole = whole[indices] if indices is not None else whole
                self.whole_uk_postcodes += int(whole.sum())
            if indices is not None:
                hit = hit[indices]
            idx = np.flatnonzero(hit)
            self.content.setdefault(n, _Hits()).add(rows[idx], arr.take(pa.array(idx)))
        if self.scan_content:
            self._names(values, rows, arr, indices)

    def _check(
        self, n: int, check: Callable[[str], bool], values: pa.Array, hit: np.ndarray
    ) -> None:
        """Narrow a rule's pattern matches ``hit`` to the values ``check`` accepts,
        checking at most CHECK_LIMIT values of the column."""
        state = self.checks.setdefault(n, [0, 0])
        idx = np.flatnonzero(hit)
        head, tail = idx[: max(0, CHECK_LIMIT - state[0])], idx[CHECK_LIMIT - state[0] :]
        if head.size:
            passed = np.array(
                [check(text) for text in values.take(pa.array(head)).to_pylist()], dtype=bool
            )
            state[0] += int(head.size)
            state[1] += int(passed.sum())
            hit[head] = passed
        if tail.size:  # past the limit the share seen so far decides
            hit[tail] = state[1] * 2 >= state[0]

    def _finding(
        self,
        kind: str,
        hits: _Hits | None,
        *,
        message: str,
        category: str = DIRECT,
        severity: str = BLOCK,
        evidence: str = "content",
        suggested_fix: dict[str, Any] | None = None,
    ) -> Finding:
        """A finding about this column, with the cells that gave it away (``hits``);
        without them, about the whole column."""
        return Finding(
            column=self.name,
            column_number=self.position + 1,
            kind=kind,
            category=category,
            severity=severity,
            evidence=evidence,
            count=hits.count if hits is not None else self.nonmissing,
            rows=hits.rows if hits is not None else [],
            examples=hits.examples if hits is not None else [],
            message=message,
            suggested_fix=suggested_fix,
        )

    def _names(
        self, values: pa.Array, rows: np.ndarray, arr: pa.Array, indices: np.ndarray | None
    ) -> None:
        """Cells that are personal names, and cells of text that mention one."""
        named = name_cells(values)
        if named.any():
            if len(self.name_values) < 1_000:
                found = values.filter(pa.array(named)).to_numpy(zero_copy_only=False)
                self.name_values.update(np.unique(hash_values(found)).tolist())
            cells = named[indices] if indices is not None else named
            idx = np.flatnonzero(cells)
            self.name_cells.add(rows[idx], arr.take(pa.array(idx)))
        room = min(NAME_SAMPLE - self.text_checked, NAME_SAMPLE // 4)
        if room <= 0:
            self.text_sampled = True
            return
        picks = np.arange(len(values))
        if len(values) > 4 * room:  # most cells of free text are candidates
            picks = np.linspace(0, len(values) - 1, 4 * room).astype(np.int64)
            self.text_sampled = True
        candidate = bool_mask(
            pc.match_substring_regex(values.take(pa.array(picks)), pattern=TEXT_CANDIDATE)
        )
        positions = picks[candidate & ~named[picks]]
        if positions.size > room:
            spread = np.linspace(0, positions.size - 1, room).astype(np.int64)
            positions, self.text_sampled = positions[spread], True
        if not positions.size:
            return
        self.text_checked += int(positions.size)
        mentions = np.zeros(len(values), dtype=bool)
        texts = values.take(pa.array(positions)).to_pylist()
        for position, text in zip(positions, texts, strict=True):
            mentions[position] = mentions_name(text)
        if mentions.any():
            cells = mentions[indices] if indices is not None else mentions
            idx = np.flatnonzero(cells)
            self.text_names.add(rows[idx], arr.take(pa.array(idx)))

    # -- findings -----------------------------------------------------------

    def findings(self, reference: str | None) -> list[Finding]:
        out: list[Finding] = []
        named: set[str] = set()
        if self.nonmissing == 0:
            return out
        for kind, category, pattern, description in _NAME_RULES:
            if not re.fullmatch(pattern, self.norm):
                continue
            if kind == "ip-address" and self.type != "string":
                continue
            if (
                kind == "date-of-birth"
                and self.type not in ("date", "datetime")
                and not any(
                    r.kind == "full-date" and n in self.content
                    for n, r in enumerate(_CONTENT_RULES)
                )
            ):
                continue  # reduced to the year already: a quasi-identifier only
            named.add(kind)
            content = [
                self.content[n]
                for n, r in enumerate(_CONTENT_RULES)
                if r.kind == kind and n in self.content
            ]
            evidence = "column-name+content" if content else "column-name"
            hits = self.present  # the column is named for it: every value counts
            out.append(
                self._finding(
                    kind,
                    hits,
                    category=category,
                    evidence=evidence,
                    message=f"Column {self.name!r} appears to hold {description} "
                    f"({self.nonmissing:,} non-empty cells).",
                    suggested_fix=self._fix_for(kind, reference),
                )
            )
        for n, rule in enumerate(_CONTENT_RULES):
            matched = self.content.get(n)
            if matched is None or rule.kind in named:
                continue
            fraction = matched.count / max(1, self.nonmissing)
            if fraction < rule.min_fraction:
                continue
            if rule.scope != "text" and not self.scan_content and self.counter:
                continue  # numbers that only go up are a running number, not identifiers
            distinct = self.distinct.count() if self.distinct is not None else None
            if rule.kind == "name" and (
                distinct is not None and distinct < 0.5 * self.nonmissing or self.nonmissing < 5
            ):
                continue  # repeated labels ("Moderate Improvement") are categories
            confident = rule.strong or fraction >= 0.8
            named.add(rule.kind)
            out.append(
                self._finding(
                    rule.kind,
                    matched,
                    category=rule.category,
                    severity=BLOCK if confident else WARN,
                    message=f"{matched.count:,} cell(s) in column {self.name!r} look like "
                    f"{rule.description} ({fraction:.0%} of non-empty cells).",
                    suggested_fix=self._fix_for(rule.kind, reference),
                )
            )
        out.extend(self._name_findings(named))
        if self.free_text:
            words = self.text_spaces / self.text_cells + 1
            out.append(
                self._finding(
                    "free-text",
                    None,
                    category=TEXT,
                    severity=WARN,
                    message=f"Column {self.name!r} holds free text ({self.nonmissing:,} cells, "
                    f"about {words:.0f} words each). Someone must read it for names, places, "
                    "dates and other details that could identify a person before it is "
                    "published.",
                    suggested_fix={"fix": "drop_column", "column": self.name},
                )
            )
        if (
            self.type in ("date", "datetime")
            and "date-of-birth" not in named
            and "full-date" not in named
        ):
            out.append(
                self._finding(
                    "full-date",
                    self.present,
                    message=f"Column {self.name!r} holds exact {self.type}s "
                    f"({self.nonmissing:,} cells); dates about a participant must be "
                    "reduced to the year or made relative to a reference date.",
                    suggested_fix=self._fix_for("full-date", reference),
                )
            )
        if self.is_age and self.over_89.count:
            h = self.over_89
            out.append(
                self._finding(
                    "age-over-89",
                    h,
                    evidence="column-name+content",
                    message=f"{h.count:,} participant(s) in column {self.name!r} are older than "
                    f"{self.oldest_allowed}; ages of 90 and over must be recorded as 90 "
                    "(top-coded), which keeps the column a number.",
                    suggested_fix={"fix": "top_code_ages", "column": self.name},
                )
            )
        if self.is_postcode and not named & {"zip-code", "postcode"}:
            if self.fine_postcode.count:
                out.append(self._postcode_finding())
            else:
                out.append(self._quasi("geography"))
        return out

    def _postcode_finding(self) -> Finding:
        h = self.fine_postcode
        country = self.postcode_shapes.country()
        if country == postcodes.UK:
            what = (
                "are full UK postcodes; only the outward code (the part before the space) "
                "may be published"
            )
        elif country == postcodes.ZIP:
            what = (
                "are US ZIP codes finer than the first three digits HIPAA Safe Harbor allows, "
                "or in an area of 20,000 people or fewer"
            )
        else:
            what = (
                "are longer than 3 characters and follow neither the UK postcode nor the US ZIP "
                "code pattern, so the portal cannot tell how much of them to keep"
            )
        return self._finding(
            "postcode",
            h,
            evidence="column-name+content",
            message=f"{h.count:,} value(s) in column {self.name!r} {what}.",
            suggested_fix=self._postcode_fix(),
        )

    def _postcode_fix(self) -> dict[str, Any]:
        """The country's own rule where the values show which country; otherwise the
        generic cut, which the page names for what it is."""
        country = self.postcode_shapes.country()
        if country == postcodes.UK and self.type == "string":
            return {"fix": "uk_outward_codes", "column": self.name}
        if country == postcodes.ZIP:
            return {"fix": "zips_to_3", "column": self.name}
        if self.type == "string":
            return {"fix": "first_characters", "column": self.name, "length": 3}
        return {"fix": "drop_column", "column": self.name}

    def _fix_for(self, kind: str, reference: str | None) -> dict[str, Any]:
        if kind == "postcode" and self.is_postcode:
            return self._postcode_fix()
        if kind == "postcode" and self.type == "string":
            if self.whole_uk_postcodes * 2 > self.nonmissing:
                return {"fix": "uk_outward_codes", "column": self.name}
            # Postcodes inside longer text (addresses): the text has to go.
            return {"fix": "drop_column", "column": self.name}
        return _fix_for(kind, self.name, reference, self.type)

    def _name_findings(self, named: set[str]) -> list[Finding]:
        if "name" in named or re.fullmatch(_NOT_PEOPLE_NAME, self.norm):
            return []
        cells = self.name_cells
        fraction = cells.count / max(1, self.nonmissing)
        enough = min(10, max(3, self.nonmissing // 2))
        if fraction >= 0.8 and len(self.name_values) >= enough and self.quasi_kind() is None:
            named.add("name")
            return [
                self._finding(
                    "name",
                    cells,
                    message=f"{cells.count:,} cell(s) in column {self.name!r} are personal names "
                    f"({fraction:.0%} of non-empty cells are common given names or surnames).",
                    suggested_fix=self._fix_for("name", None),
                )
            ]
        mentions = self.text_names
        if mentions.count:
            named.add("name")
            return [
                self._finding(
                    "name",
                    mentions,
                    message=f"{mentions.count:,} cell(s) of text in column {self.name!r} mention "
                    "what look like people's names (a given name and a surname, or a title "
                    "such as Dr or Mrs and a name). Remove the names from the text, or the "
                    "column."
                    + (
                        f" Only a sample of {self.text_checked:,} cells was read for names."
                        if self.text_sampled
                        else ""
                    ),
                    suggested_fix=self._fix_for("name", None),
                )
            ]
        return []

    def quasi_kind(self) -> str | None:
        if self.is_age:
            return "age"
        if re.fullmatch(_NAME_RULES_BY_KIND["date-of-birth"], self.norm):
            return "year-of-birth"
        for kind, pattern in _QUASI_NAME_RULES:
            if re.fullmatch(pattern, self.norm):
                return kind
        return None

    def _quasi(self, kind: str) -> Finding:
        return self._finding(
            kind,
            None,
            category=QUASI,
            severity=WARN,
            evidence="column-name",
            message=f"Column {self.name!r} ({kind.replace('-', ' ')}) can help re-identify "
            "people when combined with other columns; check k-anonymity.",
        )


def _fix_for(kind: str, column: str, reference: str | None, ftype: str) -> dict[str, Any]:
    if kind in ("full-date", "date-of-birth") and ftype in ("date", "datetime"):
        if kind == "full-date" and reference and reference != column:
            return {"fix": "dates_to_days", "column": column, "reference": reference}
        return {"fix": "dates_to_year", "column": column}
    if kind == "zip-code":
        return {"fix": "zips_to_3", "column": column}
    return {"fix": "drop_column", "column": column}


def _reference_date(schema: dict[str, Any]) -> str | None:
    dates: list[str] = [
        f["name"] for f in schema["fields"] if f.get("type") in ("date", "datetime")
    ]
    for name in dates:
        if re.fullmatch(_REFERENCE_DATE_NAME, _norm(name)):
            return name
    return dates[0] if dates else None


def screen(
    source: str | os.PathLike[str] | Table,
    schema: dict[str, Any] | None = None,
    *,
    quasi_identifiers: Sequence[str] | None = None,
    k: int = 5,
    filename: str | None = None,
    dialect: Dialect | dict[str, Any] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    progress: Progress | None = None,
    ranges: Mapping[str, tuple[Any, Any]] | None = None,
) -> ScreeningReport:
    """Screen a file for direct and quasi-identifiers.

    ``schema`` (typically the inferred or edited one) tells which columns are
    dates or numbers; it is inferred if omitted. ``quasi_identifiers`` are
    the columns the uploader marked; k-anonymity is computed over them, and
    the re-identification risk over them and the columns recognised as
    quasi-identifiers. ``ranges`` (column name -> (min, max), from the
    validation report) lets whole-number columns too short to hold national
    numbers go unread.
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
    # Every column is screened, even one an edited schema left out.
    fields = list(schema["fields"][: table.width])
    for pos in range(len(fields), table.width):
        fields.append({"name": table.header[pos] or f"field{pos + 1}", "type": "string"})
    if k < 1:
        raise DatasetError("k must be at least 1.")
    qi = list(quasi_identifiers or [])
    names = [f["name"] for f in fields]
    for name in qi:
        if name not in names:
            raise DatasetError(
                f"Quasi-identifier {name!r} is not a column of the table.", field=name
            )
    qi_pos = [names.index(n) for n in qi]
    columns = [
        _ColumnScreen(pos, fdef, schema, long_integers=_long_integers(fdef["name"], ranges))
        for pos, fdef in enumerate(fields)
    ]
    risk_pos = sorted(
        set(qi_pos) | {c.position for c in columns if c.quasi_kind() or c.is_postcode}
    )
    k_hashes: list[np.ndarray] = []
    r_hashes: list[np.ndarray] = []
    k_rows: list[np.ndarray] = []
    rows_screened = 0
    active = [c for c in columns if c.needed or c.position in qi_pos]
    texts = sum(1 for c in active if c.distinct is not None)
    for c in active:  # keep the distinct-value sets of wide files bounded in total
        if c.distinct is not None:
            c.distinct.cap = max(1_000, 2_000_000 // max(1, texts))
    wanted = sorted({c.position for c in active} | set(risk_pos))
    for batch in table.batches(columns=wanted or [0], progress=progress):
        rows_screened += batch.num_rows
        if not batch.num_rows:
            continue
        for col in active:
            col.feed(batch.columns[col.position], batch.row_numbers)
        if risk_pos:
            parts = {}
            for pos in risk_pos:
                arr = batch.columns[pos]
                miss = missing_mask(arr, columns[pos].missing)
                # All missing codes form one group ("unknown"), as an attacker
                # would see them.
                text = pc.if_else(pa.array(miss), "", arr)
                parts[pos] = hash_values(text.to_numpy(zero_copy_only=False))
            if qi_pos:
                k_hashes.append(combine_hashes([parts[pos] for pos in qi_pos]))
            r_hashes.append(combine_hashes([parts[pos] for pos in risk_pos]))
            k_rows.append(batch.row_numbers.astype(np.uint32))
    reference = _reference_date(schema)
    findings: list[Finding] = []
    suggested: list[str] = []
    for col in columns:
        found = col.findings(reference)
        findings.extend(found)
        kind = col.quasi_kind()
        direct = [f for f in found if f.category == DIRECT and f.kind != "age-over-89"]
        if kind and col.nonmissing and not direct:
            findings.append(col._quasi(kind))
            suggested.append(col.name)
    findings.sort(key=lambda f: (f.severity != BLOCK, f.category != DIRECT, f.column_number or 0))
    kanon = _k_anonymity(qi, k, k_hashes, k_rows) if qi else None
    risk = _k_anonymity([names[pos] for pos in risk_pos], k, r_hashes, k_rows) if risk_pos else None
    return ScreeningReport(
        findings=findings,
        suggested_quasi_identifiers=suggested,
        k_anonymity=kanon,
        rows_screened=rows_screened,
        risk=risk,
    )


def _long_integers(name: str, ranges: Mapping[str, tuple[Any, Any]] | None) -> bool:
    """Whether a whole-number column may hold nine- or ten-digit numbers."""
    if ranges is None or name not in ranges:
        return True
    low, high = ranges[name]
    try:
        return max(abs(float(low)), abs(float(high))) >= 1e8
    except (TypeError, ValueError):
        return True


def _k_anonymity(
    qi: list[str], k: int, hashes: list[np.ndarray], rows: list[np.ndarray]
) -> KAnonymity:
    if not hashes or not sum(h.size for h in hashes):
        return KAnonymity(qi, k, 0, 0, 0, 0, 0, [], 0)
    h = np.concatenate(hashes)
    r = np.concatenate(rows)
    order = np.argsort(h, kind="stable")
    hs = h[order]
    starts = np.flatnonzero(np.concatenate(([True], hs[1:] != hs[:-1])))
    sizes = np.diff(np.concatenate((starts, [hs.size])))
    small = sizes < k
    example: list[int] = []
    if small.any():
        smallest = np.argsort(sizes, kind="stable")[:MAX_EXAMPLES]
        for cls in smallest:
            if sizes[cls] >= k:
                break
            example.append(int(r[order[starts[cls]]]))
    return KAnonymity(
        quasi_identifiers=qi,
        k=k,
        rows=int(hs.size),
        classes=int(sizes.size),
        min_class_size=int(sizes.min()),
        classes_below_k=int(small.sum()),
        rows_in_classes_below_k=int(sizes[small].sum()),
        example_rows=sorted(example),
        unique_rows=int((sizes == 1).sum()),
    )
