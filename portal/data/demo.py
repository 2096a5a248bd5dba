"""Demo datasets: the real open trial data catalogued in datasets.demo, recorded and published.

Where screening finds identifiers (the exact dates in survival/udca), the demo
does what a careful researcher would: the flagged first version stays a private
draft, and a second version with the suggested fixes applied is published.
The demo researcher confirms the findings that need a person, and where the
quasi-identifiers single people out, the demo curator accepts the risk: these
are open teaching datasets, published for decades.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from datasets import demo as catalogue
from datasets.fixes import apply_fixes
from datasets.ingest import ingest
from portal.accounts.models import Role, User
from portal.data import services
from portal.data.models import Dataset, DatasetVersion

#: The demo researcher who shares the demo datasets (created by portal.demo).
DEMO_DATA_OWNER = "ada-researcher"


def _review(session: Session, app: Flask, version: DatasetVersion, owner: User) -> None:
    keys = [f["key"] for f in services.must_confirm(version)]
    if keys:
        services.confirm_findings(session, version, keys, reviewer=owner)
    if services.risk_problem(version, *services.risk_limits(app)) is None:
        return
    curator = session.scalar(
        select(User).where(User.role == Role.ADMIN.value).order_by(User.id).limit(1)
    )
    if curator is not None:
        services.accept_risk(
            session,
            version,
            "Open teaching data, published with its R package for years; "
            f"{version.dataset.meta.get('citation') or version.dataset.title}.",
            curator=curator,
            app=app,
        )


def _suggested_fixes(version: DatasetVersion) -> list[dict]:
    return [
        f["suggested_fix"]
        for f in version.screening.get("findings", [])
        if f.get("severity") == "block" and f.get("suggested_fix")
    ]


def load_datasets(
    session: Session, app: Flask, owner: User, echo: Callable[[str], None] = lambda _: None
) -> list[str]:
    """Record every catalogue dataset that the owner has not shared yet (matched by title)."""
    created = []
    present = set(session.scalars(select(Dataset.title).where(Dataset.owner_id == owner.id)))
    for item in catalogue.catalogue():
        if item.metadata.title in present:
            continue
        with tempfile.TemporaryDirectory() as directory:
            path = catalogue.materialise(item.key, directory)
            inferred = ingest(path).schema
            metadata = item.metadata.to_dict()
            dataset, version, result = services.ingest_file(
                session,
                app,
                path,
                filename=path.name,
                user=owner,
                dataset=None,
                metadata=metadata,
                change_note=f"Imported from {item.attribution}",
                schema=item.annotate(inferred),
            )
            fixes = _suggested_fixes(version)
            if fixes:
                fixed = Path(directory) / f"{path.stem}-deidentified.csv"
                outcome = apply_fixes(path, fixes, fixed, schema=version.schema)
                _, version, result = services.ingest_file(
                    session,
                    app,
                    fixed,
                    filename=fixed.name,
                    user=owner,
                    dataset=dataset,
                    metadata=None,
                    schema=outcome.schema,
                    change_note="De-identification: "
                    + "; ".join(record.description for record in outcome.records),
                    fixes=[record.to_dict() for record in outcome.records],
                )
            _review(session, app, version, owner)
            services.publish(session, version, actor=owner, confirmed=True)
        created.append(dataset.slug)
        echo(f"  + dataset {dataset.title} (version {version.number}, {result.row_count:,} rows)")
    return created
