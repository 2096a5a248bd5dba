"""Jobs of the datasets feature: ingest an upload, re-validate a draft, apply fixes."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from datasets.errors import DatasetError
from datasets.fixes import apply_fixes
from datasets.ingest import ingest
from datasets.storage import local_copy
from portal.accounts.models import User
from portal.data import services
from portal.data.models import Dataset, DatasetVersion
from portal.jobs.runner import JobContext, JobFailure, TaskFunction

PHASES = {"scan": "Checking the bytes", "read": "Reading the table"}


def _reporter(context: JobContext) -> Callable[[str, int, int], None]:
    passes = {"count": 0}
    seen = {"phase": ""}

    def report(phase: str, done: int, total: int) -> None:
        if phase != seen["phase"]:
            seen["phase"] = phase
            passes["count"] += 1
        fraction = done / total if total else 0.0
        # Four passes over the file (scan, profile, screen, preview): spread them.
        overall = min(0.95, (passes["count"] - 1 + fraction) / 4)
        context.progress(overall, f"{PHASES.get(phase, phase)}: {done:,} of {total:,} bytes")

    return report


def _dataset_url(dataset: Dataset, version: DatasetVersion) -> str:
    return f"/datasets/{dataset.slug}?version={version.number}"


def _ingest_into(context: JobContext, path: Path, **options: Any) -> dict[str, Any]:
    try:
        dataset, version, result = services.ingest_file(
            context.session, context.app, path, progress=_reporter(context), **options
        )
    except DatasetError as error:
        raise JobFailure(str(error)) from None
    return {
        "url": _dataset_url(dataset, version),
        "dataset": dataset.slug,
        "version": version.number,
        "valid": result.valid,
        "publishable": result.publishable,
    }


def ingest_upload(
    context: JobContext,
    *,
    upload: str,
    filename: str,
    user_id: int,
    dataset_id: int | None = None,
    metadata: dict[str, Any] | None = None,
    change_note: str = "",
) -> dict[str, Any]:
    """Analyse and store an uploaded file as a new draft version (of a new dataset)."""
    path = Path(upload)
    try:
        user = context.row(User, user_id, "account")
        dataset = context.row(Dataset, dataset_id, "dataset") if dataset_id else None
        return _ingest_into(
            context,
            path,
            filename=filename,
            user=user,
            dataset=dataset,
            metadata=metadata,
            change_note=change_note,
            own_file=True,
        )
    finally:
        path.unlink(missing_ok=True)


def revalidate(
    context: JobContext, *, version_id: int, schema: dict, quasi_identifiers: list[str]
) -> dict[str, Any]:
    """Check a draft against its edited data dictionary."""
    app = context.app
    version = context.row(DatasetVersion, version_id, "version")
    store = services.blob_store(app)
    try:
        with local_copy(store, version.sha256, verify=True) as path:
            result = ingest(
                path,
                filename=version.filename,
                schema=schema,
                quasi_identifiers=quasi_identifiers,
                k=app.config["REID_MIN_K"],
                limits=services.limits(app),
                progress=_reporter(context),
            )
    except DatasetError as error:
        raise JobFailure(str(error)) from None
    services.replace_analysis(version, result, quasi_identifiers)
    return {"url": _dataset_url(version.dataset, version), "valid": result.valid}


def fix(
    context: JobContext, *, version_id: int, fixes: list[dict[str, Any]], user_id: int
) -> dict[str, Any]:
    """Apply de-identification fixes, producing a new draft version that records them."""
    app = context.app
    version = context.row(DatasetVersion, version_id, "version")
    user = context.row(User, user_id, "account")
    store = services.blob_store(app)
    fd, name = tempfile.mkstemp(prefix="fixed-", suffix=".csv", dir=services.incoming_dir(app))
    os.close(fd)
    fixed = Path(name)
    try:
        with local_copy(store, version.sha256, verify=True) as path:
            outcome = apply_fixes(
                path,
                fixes,
                fixed,
                schema=version.schema,
                filename=version.filename,
                dialect=version.dialect,
            )
        note = "De-identification: " + "; ".join(r.description for r in outcome.records)
        return _ingest_into(
            context,
            fixed,
            filename=Path(version.filename).stem + ".csv",
            user=user,
            dataset=version.dataset,
            metadata=None,
            change_note=note,
            schema=outcome.schema,
            quasi_identifiers=version.quasi_identifiers,
            fixes=[r.to_dict() for r in outcome.records],
        )
    except DatasetError as error:
        raise JobFailure(str(error)) from None
    finally:
        fixed.unlink(missing_ok=True)


#: What each kind does, in the words of the job and "My work" pages.
LABELS = {
    "dataset.ingest": "Checking an upload",
    "dataset.revalidate": "Checking a data dictionary",
    "dataset.fix": "Applying fixes to a dataset",
}

#: The job kinds this feature runs (registered by portal.data.init_app).
TASKS: dict[str, TaskFunction] = {
    "dataset.ingest": ingest_upload,
    "dataset.revalidate": revalidate,
    "dataset.fix": fix,
}
