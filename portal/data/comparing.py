"""Comparing two versions of a dataset: the stored files read through datasets.compare."""

from __future__ import annotations

import contextlib
import tempfile
from typing import IO

from flask import Flask

from datasets.compare import CompareError, Comparison, Side, compare, default_key
from datasets.errors import DatasetError
from datasets.screening import DIRECT
from datasets.storage import local_copy
from portal.data.models import DatasetVersion
from portal.data.services import blob_store, limits
from portal.errors import ServiceError

#: Changed cells shown on one page of the comparison.
CELLS_PER_PAGE = 50


def _masked(version: DatasetVersion) -> set[str]:
    """Columns holding direct identifiers: their values are shown masked, as in the preview."""
    return {
        str(f["column"])
        for f in version.screening.get("findings", [])
        if f.get("category") == DIRECT and f.get("column")
    }


def shared_columns(old: DatasetVersion, new: DatasetVersion) -> list[str]:
    """Columns of both versions, in the new version's order: what rows can be matched on."""
    before = {f["name"] for f in old.schema.get("fields", [])}
    return [f["name"] for f in new.schema.get("fields", []) if f["name"] in before]


def suggested_key(old: DatasetVersion, new: DatasetVersion) -> str | None:
    return default_key(old.schema, new.schema)


def compare_versions(
    app: Flask,
    old: DatasetVersion,
    new: DatasetVersion,
    *,
    key: str | None = None,
    limit: int = CELLS_PER_PAGE,
) -> Comparison:
    """Compare two versions of one dataset row by row; a refusal is a ServiceError
    on ``key`` saying what stops the matching."""
    if old.dataset_id != new.dataset_id:
        raise ServiceError("Only versions of the same dataset can be compared.", "from")
    store = blob_store(app)
    masked = _masked(old) | _masked(new)
    try:
        with contextlib.ExitStack() as files:
            sides = [
                Side(
                    files.enter_context(local_copy(store, version.sha256, verify=True)),
                    version.schema,
                    f"Version {version.number}",
                    filename=version.filename,
                    dialect=version.dialect,
                )
                for version in (old, new)
            ]
            return compare(*sides, key=key or None, limit=limit, masked=masked, limits=limits(app))
    except CompareError as error:
        raise ServiceError(error.message, "key") from None
    except DatasetError as error:
        raise ServiceError(f"The versions could not be read for comparison: {error}") from None


def changes_csv(comparison: Comparison) -> IO[bytes]:
    """Every change as a CSV file (neutralised by datasets.cells), rewound for sending."""
    # Handed to send_file, which closes it when the response ends.
    spooled = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115
    for line in comparison.csv_lines():
        spooled.write(line.encode("utf-8"))
    spooled.seek(0)
    return spooled
