"""/api/v1/datasets/<slug>/compare: two versions of a dataset, row by row and cell by cell."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from flask_login import current_user

from portal import policy
from portal.api import schemas
from portal.api.blueprint import bp
from portal.api.datasets import visible_dataset
from portal.api.spec import operation
from portal.data import comparing
from portal.data.models import Dataset, DatasetVersion
from portal.errors import NotFound


def _version(dataset: Dataset, number: int) -> DatasetVersion:
    for version in policy.visible_versions(current_user, dataset):
        if version.number == number:
            return version
    raise NotFound(f"No version {number} of {dataset.slug!r}.")


@bp.get("/datasets/<slug>/compare")
@operation(
    "Compare two versions of a dataset cell by cell",
    "datasets",
    query=schemas.ComparisonQuery,
    responses={200: schemas.Comparison},
    errors=(404,),
    description="Rows are matched on the participant identifier of the data dictionary, "
    "or on `key`. Lists the rows added and removed, changed cells per column, columns "
    "added, removed or retyped, and the changed cells from `offset` (at most `limit`); "
    "`csv` downloads them all. A key that is missing, empty in some rows or repeated is "
    "refused (400) with the rows or values that stop the matching.",
)
def compare_versions(slug: str, query: schemas.ComparisonQuery) -> dict[str, Any]:
    dataset = visible_dataset(slug)
    old, new = _version(dataset, query.from_), _version(dataset, query.to)
    comparison = comparing.compare_versions(
        current_app, old, new, key=query.key or None, limit=comparing.CELLS_PER_PAGE
    )
    out = comparison.to_dict()
    out["cells"] = [
        {"key": c.key, "column": c.column, "old": c.old, "new": c.new}
        for c in comparison.cell_range(query.offset, query.limit)
    ]
    out.pop("cells_shown", None)
    out["offset"] = query.offset
    arguments: dict[str, Any] = {"from": old.number, "to": new.number, "key": comparison.key}
    out["csv"] = url_for("data.compare_csv", slug=dataset.slug, _external=True, **arguments)
    return out
