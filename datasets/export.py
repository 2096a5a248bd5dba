"""Exports: safe CSV, Frictionless Data Package (zip) and schema.org JSON-LD.

Every CSV written here neutralises formula-like cells, header included, by
the one rule of :mod:`datasets.cells` (``-5`` stays ``-5``). Exports change
only what is downloaded; stored blobs keep the uploaded values.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import zipfile
from dataclasses import dataclass
from typing import IO, Any

# The rule lives in .cells and its vectorised form in .writing; both are part of
# this module's interface because exports are where they apply.
from .cells import is_dangerous as is_dangerous
from .cells import neutral_cell
from .detect import Dialect, Progress
from .limits import DEFAULT_LIMITS, Limits
from .metadata import DatasetMetadata
from .reading import Table, open_table
from .schema import normalise_schema
from .writing import CsvWriter, open_dest
from .writing import neutralise_formulas as neutralise_formulas


@dataclass
class ExportResult:
    sha256: str
    size: int
    rows: int
    cells_neutralised: int
    data_sha256: str | None = None  # for packages: the CSV inside

    def to_dict(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "size": self.size,
            "rows": self.rows,
            "cells_neutralised": self.cells_neutralised,
            "data_sha256": self.data_sha256,
        }


def _write_table(
    table: Table, out: IO[bytes], *, neutralise: bool, bom: bool, progress: Progress | None
) -> tuple[CsvWriter, int]:
    writer = CsvWriter(out, list(table.header), bom=bom, neutralise=neutralise)
    for batch in table.batches(progress=progress):
        if batch.num_rows:
            writer.write_columns(list(batch.columns))
    return writer, writer.neutralised


def export_csv(
    source: str | os.PathLike[str] | Table,
    dest: str | os.PathLike[str] | IO[bytes],
    *,
    neutralise: bool = True,
    bom: bool = False,
    filename: str | None = None,
    dialect: Dialect | dict[str, Any] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    progress: Progress | None = None,
) -> ExportResult:
    """Write ``source`` as UTF-8, comma-separated CSV with formulas neutralised.

    ``bom=True`` adds a UTF-8 byte-order mark, which makes Excel pick the
    right encoding. Rows with the wrong number of cells are not exported.
    """
    table = (
        source
        if isinstance(source, Table)
        else open_table(
            source, filename=filename, dialect=dialect, limits=limits, progress=progress
        )
    )
    out, close = open_dest(dest)
    try:
        writer, changed = _write_table(
            table, out, neutralise=neutralise, bom=bom, progress=progress
        )
    finally:
        if close:
            out.close()
    return ExportResult(writer.sha256, writer.size, writer.rows, changed)


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:80] or "dataset"


def _metadata(metadata: DatasetMetadata | dict[str, Any]) -> DatasetMetadata:
    if isinstance(metadata, DatasetMetadata):
        return metadata.validate()
    return DatasetMetadata.from_dict(metadata)


def datapackage_descriptor(
    metadata: DatasetMetadata | dict[str, Any],
    schema: dict[str, Any],
    *,
    name: str | None = None,
    path: str | None = None,
    data_sha256: str | None = None,
    data_bytes: int | None = None,
    version: str | None = None,
    created: str | None = None,
    neutralised: bool = True,
) -> dict[str, Any]:
    """The datapackage.json content for one CSV resource."""
    meta = _metadata(metadata)
    schema = normalise_schema(schema)
    slug = name or slugify(meta.title)
    resource: dict[str, Any] = {
        "name": slug,
        "path": path or f"data/{slug}.csv",
        "profile": "tabular-data-resource",
        "title": meta.title,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "dialect": {
            "delimiter": ",",
            "quoteChar": '"',
            "doubleQuote": True,
            "lineTerminator": "\n",
            "header": True,
        },
        "schema": schema,
    }
    if neutralised:
        # The CSV's header row is neutralised too; the schema must name the
        # columns as they appear there.
        schema = _neutral_names(schema)
        resource["schema"] = schema
        resource["description"] = (
            "Text cells that a spreadsheet would run as a formula "
            "(starting with =, +, -, @), column names included, are prefixed "
            "with an apostrophe."
        )
    if data_sha256:
        resource["hash"] = f"sha256:{data_sha256}"
    if data_bytes is not None:
        resource["bytes"] = data_bytes
    package: dict[str, Any] = {
        "profile": "tabular-data-package",
        "name": slug,
        "title": meta.title,
        "description": meta.description,
        "licenses": [
            {"name": lic.id, "path": lic.url, "title": lic.title} for lic in meta.licences()
        ],
        "sources": [s.to_dict() for s in meta.sources],
        "keywords": list(meta.keywords),
        "created": created or dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "resources": [resource],
        "trial": {
            k: v
            for k, v in {
                "level": meta.level,
                "conditions": meta.conditions,
                "interventions": meta.interventions,
                "comparator": meta.comparator,
                "outcomes": meta.outcomes,
                "study_design": meta.study_design,
                "n_participants": meta.n_participants,
                "registry_ids": meta.registry_ids,
                "citation": meta.citation,
                "doi": meta.doi,
                "contact": meta.contact,
            }.items()
            if v not in (None, [], "")
        },
    }
    if meta.creators:
        package["contributors"] = [{"title": c, "role": "author"} for c in meta.creators]
    if version:
        package["version"] = version
    return package


def _neutral_names(schema: dict[str, Any]) -> dict[str, Any]:
    fields = [{**f, "name": neutral_cell(f["name"])} for f in schema.get("fields", [])]
    out = {**schema, "fields": fields}
    key = schema.get("primaryKey")
    if isinstance(key, str):
        out["primaryKey"] = neutral_cell(key)
    elif isinstance(key, list):
        out["primaryKey"] = [neutral_cell(k) for k in key]
    return out


def export_datapackage(
    source: str | os.PathLike[str] | Table,
    dest: str | os.PathLike[str] | IO[bytes],
    *,
    schema: dict[str, Any],
    metadata: DatasetMetadata | dict[str, Any],
    name: str | None = None,
    version: str | None = None,
    neutralise: bool = True,
    filename: str | None = None,
    dialect: Dialect | dict[str, Any] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    progress: Progress | None = None,
) -> ExportResult:
    """Write a Frictionless Data Package zip: datapackage.json + data/<name>.csv.

    The CSV is streamed into the archive, so memory does not grow with the
    data. Metadata is validated first (MetadataError names every bad field).
    """
    meta = _metadata(metadata)
    schema = normalise_schema(schema)
    slug = name or slugify(meta.title)
    table = (
        source
        if isinstance(source, Table)
        else open_table(
            source, filename=filename, dialect=dialect, limits=limits, progress=progress
        )
    )
    out, close = open_dest(dest)
    try:
        counter = _HashingWriter(out)
        # ZipFile never closes a file object it is handed, so _HashingWriter has
        # no close() and misses typeshed's protocol for writable archives.
        with zipfile.ZipFile(counter, "w", compression=zipfile.ZIP_DEFLATED) as zf:  # type: ignore[call-overload]
            data_path = f"data/{slug}.csv"
            with zf.open(data_path, "w", force_zip64=True) as member:
                writer, changed = _write_table(
                    table, member, neutralise=neutralise, bom=False, progress=progress
                )
            descriptor = datapackage_descriptor(
                meta,
                schema,
                name=slug,
                path=data_path,
                data_sha256=writer.sha256,
                data_bytes=writer.size,
                version=version,
                neutralised=neutralise,
            )
            zf.writestr("datapackage.json", json.dumps(descriptor, indent=2, ensure_ascii=False))
    finally:
        if close:
            out.close()
    return ExportResult(
        counter.sha256, counter.size, writer.rows, changed, data_sha256=writer.sha256
    )


class _HashingWriter:
    """A write-only file wrapper that hashes what passes through it."""

    def __init__(self, raw: IO[bytes]) -> None:
        import hashlib

        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        self.raw.write(data)
        return len(data)

    def flush(self) -> None:
        self.raw.flush()

    def tell(self) -> int:
        return self.size

    def seekable(self) -> bool:
        return False

    @property
    def sha256(self) -> str:
        return self.digest.hexdigest()


_TRIAL_DESIGNS = {
    "randomised-controlled-trial": "https://schema.org/RandomizedTrial",
    "cluster-randomised-trial": "https://schema.org/RandomizedTrial",
    "crossover-trial": "https://schema.org/RandomizedTrial",
    "single-arm-trial": "https://schema.org/SingleCenterTrial",
}


def dataset_jsonld(
    metadata: DatasetMetadata | dict[str, Any],
    *,
    schema: dict[str, Any] | None = None,
    url: str | None = None,
    download_url: str | None = None,
    date_published: str | None = None,
    date_modified: str | None = None,
    version: str | None = None,
    sha256: str | None = None,
    size: int | None = None,
    publisher: str | None = None,
) -> dict[str, Any]:
    """schema.org ``Dataset`` JSON-LD for a dataset page (dict in, dict out)."""
    meta = _metadata(metadata)
    licences = meta.licences()
    doc: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "name": meta.title,
        "description": meta.description,
        "license": licences[0].url if len(licences) == 1 else [lic.url for lic in licences],
        "isAccessibleForFree": True,
    }
    if url:
        doc["url"] = url
    identifiers = []
    if meta.doi:
        identifiers.append(f"https://doi.org/{meta.doi}")
    identifiers.extend(meta.registry_ids)
    if identifiers:
        doc["identifier"] = identifiers
    if meta.keywords:
        doc["keywords"] = list(meta.keywords)
    if meta.creators:
        doc["creator"] = [{"@type": "Person", "name": c} for c in meta.creators]
    if meta.citation:
        doc["citation"] = meta.citation
    if meta.sources:
        doc["isBasedOn"] = [s.path or s.title for s in meta.sources]
    if meta.contact:
        key = "email" if "@" in meta.contact and "://" not in meta.contact else "url"
        doc["maintainer"] = {
            "@type": "Organization",
            "name": publisher or "Maintainer",
            key: meta.contact,
        }
    if publisher:
        doc["publisher"] = {"@type": "Organization", "name": publisher}
    for key, value in (
        ("datePublished", date_published),
        ("dateModified", date_modified),
        ("version", version),
    ):
        if value:
            doc[key] = value
    if meta.conditions:
        doc["about"] = [{"@type": "MedicalCondition", "name": c} for c in meta.conditions]
    trial: dict[str, Any] = {
        "@type": "MedicalTrial"
        if meta.level == "participant"
        and meta.study_design not in ("meta-analysis", "systematic-review")
        else "MedicalStudy"
    }
    if meta.study_design in _TRIAL_DESIGNS and trial["@type"] == "MedicalTrial":
        trial["trialDesign"] = _TRIAL_DESIGNS[meta.study_design]
    if meta.conditions:
        trial["healthCondition"] = [
            {"@type": "MedicalCondition", "name": c} for c in meta.conditions
        ]
    if meta.interventions:
        trial["studySubject"] = [{"@type": "MedicalEntity", "name": i} for i in meta.interventions]
    if meta.registry_ids:
        trial["identifier"] = list(meta.registry_ids)
    if meta.outcomes:
        # schema.org has no outcome property on MedicalTrial; describe them.
        trial["description"] = "Outcomes: " + "; ".join(meta.outcomes)
    doc["mainEntity"] = trial
    if schema is not None:
        schema = normalise_schema(schema)
        variables = []
        for fdef in schema["fields"]:
            prop: dict[str, Any] = {"@type": "PropertyValue", "name": fdef["name"]}
            if fdef.get("title"):
                prop["alternateName"] = fdef["title"]
            if fdef.get("description"):
                prop["description"] = fdef["description"]
            if fdef.get("unit"):
                prop["unitText"] = fdef["unit"]
            variables.append(prop)
        doc["variableMeasured"] = variables
    if download_url:
        dist: dict[str, Any] = {
            "@type": "DataDownload",
            "encodingFormat": "text/csv",
            "contentUrl": download_url,
        }
        if size is not None:
            dist["contentSize"] = f"{size} B"
        if sha256:
            dist["sha256"] = sha256
        doc["distribution"] = [dist]
    return doc
