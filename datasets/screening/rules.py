"""The rules: column names and cell contents that give away who a participant is."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import phonenumbers
import pyarrow as pa
from stdnum.gb import nhs as stdnum_nhs

from .findings import DIRECT

#: Regions whose national phone formats are recognised (international
#: "+<country code>" numbers are recognised whatever the region).
PHONE_REGIONS = ("US", "GB")


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
    ),
    _ContentRule(
        "national-id",
        DIRECT,
        rf"^{_SSN_AREA} ?{_SSN_GROUP} ?{_SSN_SERIAL}$",
        "US social security numbers (nine digits that follow the SSA numbering rules)",
        strong=False,
        min_fraction=0.5,
        scope="digits",
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
    ),
    _ContentRule(
        "zip-code",
        DIRECT,
        r"^\d{5}(?:-\d{4})?$",
        "US ZIP codes (5-digit or ZIP+4; Safe Harbor allows only the first three digits)",
        strong=False,
        min_fraction=0.5,
        scope="geography",
    ),
    _ContentRule(
        "national-id",
        DIRECT,
        r"^[A-CEGHJ-PR-TW-Za-ceghj-pr-tw-z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-Da-d]$",
        "UK National Insurance numbers",
        strong=True,
    ),
    _ContentRule(
        "postcode",
        DIRECT,
        r"(?:^|[^A-Za-z0-9])[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}(?:[^A-Za-z0-9]|$)",
        "full UK postcodes",
        strong=True,
    ),
    _ContentRule(
        "phone",
        DIRECT,
        r"^[+(]?[0-9][0-9 ().\-/]{6,24}[0-9]$",
        "telephone numbers",
        strong=False,
        min_fraction=0.5,
        check=_phone_number,
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
    ),
    _ContentRule(
        "ip-address",
        DIRECT,
        r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$",
        "IP addresses",
        strong=True,
        gate=".",
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

#: A cell that matches no rule matches no alternative of this one pattern.
ANY_CONTENT_RULE = "|".join(f"(?:{rule.pattern})" for rule in _CONTENT_RULES)
