"""Descriptive metadata for a dataset, with validation that names each bad field.

Licences are SPDX identifiers from an allowed list. Open-data licences are
what uploaders should choose; a few software licences are allowed too
because well-known teaching datasets are distributed inside R packages
under them (the demo catalogue records those as stated by the package).
An SPDX "A OR B" expression of allowed identifiers is accepted.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .errors import MetadataError


@dataclass(frozen=True)
class Licence:
    id: str
    title: str
    url: str
    kind: str  # "data" (recommended) or "software"


_SPDX = "https://spdx.org/licenses/{}.html"
LICENCES: dict[str, Licence] = {
    lic.id: lic
    for lic in (
        Licence(
            "CC0-1.0",
            "Creative Commons Zero v1.0 Universal",
            "https://creativecommons.org/publicdomain/zero/1.0/",
            "data",
        ),
        Licence(
            "CC-BY-4.0",
            "Creative Commons Attribution 4.0 International",
            "https://creativecommons.org/licenses/by/4.0/",
            "data",
        ),
        Licence(
            "CC-BY-SA-4.0",
            "Creative Commons Attribution Share Alike 4.0 International",
            "https://creativecommons.org/licenses/by-sa/4.0/",
            "data",
        ),
        Licence(
            "ODbL-1.0",
            "Open Data Commons Open Database License v1.0",
            "https://opendatacommons.org/licenses/odbl/1-0/",
            "data",
        ),
        Licence(
            "PDDL-1.0",
            "Open Data Commons Public Domain Dedication & License 1.0",
            "https://opendatacommons.org/licenses/pddl/1-0/",
            "data",
        ),
        Licence(
            "ODC-By-1.0",
            "Open Data Commons Attribution License v1.0",
            "https://opendatacommons.org/licenses/by/1-0/",
            "data",
        ),
        Licence(
            "OGL-UK-3.0",
            "Open Government Licence v3.0",
            "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
            "data",
        ),
        Licence("MIT", "MIT License", _SPDX.format("MIT"), "software"),
        Licence(
            "GPL-2.0-only",
            "GNU General Public License v2.0 only",
            _SPDX.format("GPL-2.0-only"),
            "software",
        ),
        Licence(
            "GPL-2.0-or-later",
            "GNU General Public License v2.0 or later",
            _SPDX.format("GPL-2.0-or-later"),
            "software",
        ),
        Licence(
            "GPL-3.0-only",
            "GNU General Public License v3.0 only",
            _SPDX.format("GPL-3.0-only"),
            "software",
        ),
        Licence(
            "GPL-3.0-or-later",
            "GNU General Public License v3.0 or later",
            _SPDX.format("GPL-3.0-or-later"),
            "software",
        ),
        Licence(
            "LGPL-2.0-or-later",
            "GNU Library General Public License v2 or later",
            _SPDX.format("LGPL-2.0-or-later"),
            "software",
        ),
        Licence(
            "LGPL-2.1-or-later",
            "GNU Lesser General Public License v2.1 or later",
            _SPDX.format("LGPL-2.1-or-later"),
            "software",
        ),
        Licence(
            "LGPL-3.0-or-later",
            "GNU Lesser General Public License v3.0 or later",
            _SPDX.format("LGPL-3.0-or-later"),
            "software",
        ),
    )
}

LEVELS = ("participant", "aggregate")
STUDY_DESIGNS = (
    "randomised-controlled-trial",
    "cluster-randomised-trial",
    "crossover-trial",
    "non-randomised-trial",
    "single-arm-trial",
    "meta-analysis",
    "systematic-review",
    "cohort-study",
    "case-control-study",
    "cross-sectional-study",
    "other",
)

# Trial registries and the shape of their identifiers. "Loosely": the
# identifier must have the registry's shape; it is not looked up.
REGISTRIES: tuple[tuple[str, str, str], ...] = (
    ("ClinicalTrials.gov", "NCT", r"NCT\d{8}"),
    ("ISRCTN", "ISRCTN", r"ISRCTN\d{8}"),
    ("EU CTR (EudraCT)", "", r"\d{4}-\d{6}-\d{2}"),
    ("EU CTIS", "", r"\d{4}-\d{6}-\d{2}-\d{2}"),
    ("ANZCTR", "ACTRN", r"ACTRN\d{14}"),
    ("ChiCTR", "ChiCTR", r"ChiCTR-?[A-Za-z0-9-]{6,20}"),
    ("CTRI", "CTRI", r"CTRI/\d{4}/\d{2,3}/\d{6}"),
    ("DRKS", "DRKS", r"DRKS\d{8}"),
    ("jRCT", "jRCT", r"jRCT[a-z]?\d{9,10}"),
    ("UMIN-CTR", "UMIN", r"UMIN\d{9}"),
    ("Netherlands Trial Register", "NTR", r"NTR\d{1,5}|NL\d{1,5}|NL-OMON\d+"),
    ("PACTR", "PACTR", r"PACTR\d{15}"),
    ("IRCT", "IRCT", r"IRCT\d+N\d+"),
    ("CRIS", "KCT", r"KCT\d{7}"),
    ("TCTR", "TCTR", r"TCTR\d{11}"),
    ("ReBEC", "RBR", r"RBR-[0-9a-z]{6,8}"),
    ("PROSPERO", "CRD", r"CRD\d{11}"),
)

_DOI = re.compile(r"10\.\d{4,9}/\S+")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_URL = re.compile(r"https?://\S+")


def normalise_doi(value: str) -> str:
    """Strip 'doi:' and resolver prefixes, leaving '10.xxxx/...'."""
    text = value.strip()
    text = re.sub(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)", "", text, flags=re.I)
    return text


def check_doi(value: str) -> str | None:
    doi = normalise_doi(value)
    if not _DOI.fullmatch(doi):
        return (
            f"{value!r} is not a DOI (expected 10.<registrant>/<suffix>, e.g. "
            "10.1056/NEJMoa1111103)"
        )
    return None


def check_registry_id(value: str) -> str | None:
    text = value.strip()
    for _name, _prefix, pattern in REGISTRIES:
        if re.fullmatch(pattern, text, flags=re.I if _prefix in ("NCT", "ISRCTN") else 0):
            return None
    for name, prefix, pattern in REGISTRIES:
        if prefix and text.upper().startswith(prefix.upper()):
            return f"{value!r} looks like a {name} number but does not have its form ({pattern})"
    return (
        f"{value!r} is not a recognised trial registry identifier "
        "(e.g. NCT01234567, ISRCTN12345678, 2004-123456-12)"
    )


def check_licence(value: str) -> str | None:
    parts = [p.strip() for p in re.split(r"\s+OR\s+", value.strip())]
    unknown = [p for p in parts if p not in LICENCES]
    if not value.strip() or unknown:
        data = ", ".join(k for k, v in LICENCES.items() if v.kind == "data")
        return f"{value!r} is not an allowed SPDX licence identifier (open-data licences: {data})"
    return None


def licence_info(value: str) -> list[Licence]:
    return [LICENCES[p.strip()] for p in re.split(r"\s+OR\s+", value.strip())]


#: The longest condition, intervention, outcome, keyword, registry id or creator:
#: each is one term (several are separated), and the catalogue filters by them.
MAX_TERM = 200


@dataclass(frozen=True)
class Source:
    title: str
    path: str | None = None  # URL of the source

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class DatasetMetadata:
    title: str
    description: str
    licence: str
    level: str = "participant"
    conditions: list[str] = field(default_factory=list)
    interventions: list[str] = field(default_factory=list)
    comparator: str | None = None
    outcomes: list[str] = field(default_factory=list)
    study_design: str | None = None
    n_participants: int | None = None
    registry_ids: list[str] = field(default_factory=list)
    citation: str | None = None
    doi: str | None = None
    contact: str | None = None
    keywords: list[str] = field(default_factory=list)
    creators: list[str] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)

    def problems(self) -> list[dict[str, Any]]:
        """Every problem, each naming its field; empty when the metadata is valid."""
        out: list[dict[str, Any]] = []

        def bad(name: str, message: str) -> None:
            out.append({"field": name, "message": message})

        for name in ("title", "description", "licence", "level"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                bad(name, "is required")
        if isinstance(self.title, str) and len(self.title) > 300:
            bad("title", "must be at most 300 characters")
        if isinstance(self.licence, str) and self.licence.strip():
            msg = check_licence(self.licence)
            if msg:
                bad("licence", msg)
        if isinstance(self.level, str) and self.level and self.level not in LEVELS:
            bad("level", f"must be one of {', '.join(LEVELS)}")
        for name in (
            "conditions",
            "interventions",
            "outcomes",
            "keywords",
            "registry_ids",
            "creators",
        ):
            value = getattr(self, name)
            if not isinstance(value, list) or not all(
                isinstance(v, str) and v.strip() for v in value
            ):
                bad(name, "must be a list of non-empty texts")
            elif any(len(v.strip()) > MAX_TERM for v in value):
                long = next(v.strip() for v in value if len(v.strip()) > MAX_TERM)
                bad(
                    name,
                    f"each must be at most {MAX_TERM} characters "
                    f"({long[:40]!r}... has {len(long)}); separate several with semicolons",
                )
        for name, value in self._texts():
            if "\x00" in value:
                bad(name, "contains a NUL character; remove it")
        if self.comparator is not None and not isinstance(self.comparator, str):
            bad("comparator", "must be text")
        if self.study_design is not None and self.study_design not in STUDY_DESIGNS:
            bad("study_design", f"must be one of {', '.join(STUDY_DESIGNS)}")
        n = self.n_participants
        if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 0):
            bad("n_participants", "must be a whole number of 0 or more")
        if isinstance(self.registry_ids, list):
            for rid in self.registry_ids:
                if isinstance(rid, str):
                    msg = check_registry_id(rid)
                    if msg:
                        bad("registry_ids", msg)
        if self.doi is not None:
            msg = check_doi(self.doi) if isinstance(self.doi, str) else "must be text"
            if msg:
                bad("doi", msg)
        if self.citation is not None and not (
            isinstance(self.citation, str) and self.citation.strip()
        ):
            bad("citation", "must be non-empty text")
        if self.contact is not None and not (
            isinstance(self.contact, str)
            and (_EMAIL.fullmatch(self.contact) or _URL.fullmatch(self.contact))
        ):
            bad("contact", "must be an e-mail address or a web address")
        for i, src in enumerate(self.sources):
            if not isinstance(src, Source) or not src.title:
                bad("sources", f"source {i + 1} needs a title")
            elif src.path is not None and not _URL.fullmatch(src.path):
                bad("sources", f"source {i + 1} path must be a web address")
        return out

    def _texts(self) -> list[tuple[str, str]]:
        """(field, text) for every text in the metadata, list items included."""
        out: list[tuple[str, str]] = []
        for f in fields(self):
            value = getattr(self, f.name)
            items = value if isinstance(value, list) else [value]
            for item in items:
                if isinstance(item, Source):
                    out += [(f.name, t) for t in (item.title, item.path) if isinstance(t, str)]
                elif isinstance(item, str):
                    out.append((f.name, item))
        return out

    def validate(self) -> DatasetMetadata:
        problems = self.problems()
        if problems:
            raise MetadataError(problems)
        return self

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DatasetMetadata:
        """Build and validate; raises MetadataError listing every bad field."""
        if not isinstance(data, dict):
            raise MetadataError([{"field": None, "message": "metadata must be an object"}])
        known = {f.name for f in fields(cls)}
        problems = [
            {"field": k, "message": "is not a metadata field"} for k in data if k not in known
        ]
        missing = [k for k in ("title", "description", "licence") if k not in data]
        problems += [{"field": k, "message": "is required"} for k in missing]
        if problems:
            raise MetadataError(problems)
        values = dict(data)
        sources = values.get("sources", [])
        if not isinstance(sources, list):
            raise MetadataError([{"field": "sources", "message": "must be a list"}])
        try:
            values["sources"] = [
                s if isinstance(s, Source) else Source(title=s.get("title", ""), path=s.get("path"))
                for s in sources
            ]
        except AttributeError:
            raise MetadataError(
                [{"field": "sources", "message": "each source must be an object"}]
            ) from None
        if isinstance(values.get("doi"), str):
            values["doi"] = normalise_doi(values["doi"])
        return cls(**values).validate()

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["sources"] = [s.to_dict() for s in self.sources]
        return out

    def licences(self) -> list[Licence]:
        return licence_info(self.licence)
