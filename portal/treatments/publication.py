"""Publish a community's consenting reports as the next version of an open dataset.

Rows are participant-level but carry no identity: each member gets a random id that
is made afresh for every version (so versions cannot be linked member by member),
and dates become whole weeks of use. The file goes through the datasets feature like
any upload (validation and identifier screening); a dose typed as an e-mail address
blocks publication exactly as it would in a researcher's file.
"""

from __future__ import annotations

import csv
import os
import secrets
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from datasets.errors import DatasetError
from datasets.ingest import ingest
from portal import policy
from portal.accounts.models import User
from portal.community.models import Community
from portal.data import services as data
from portal.data.models import DatasetVersion
from portal.errors import Conflict, ServiceError
from portal.treatments.models import (
    EFFECT_SCORES,
    Effectiveness,
    Treatment,
    TreatmentDataset,
    TreatmentReport,
)

LICENCE = "CC-BY-4.0"

COLUMNS: dict[str, str] = {
    "participant": "Random id of the member, new in every version of this dataset",
    "treatment": "Treatment, from the community's curated list",
    "treatment_kind": "drug or non-drug",
    "weeks_used": "Whole weeks from start to stop (to publication when still in use)",
    "still_using": "yes when no stop date was given",
    "dose": "Dose as the member wrote it (may be empty)",
    "effectiveness": "Perceived effectiveness: worse, none, slight, moderate, major",
    "effectiveness_score": "-1 (made it worse) to 3 (major)",
    "side_effects": "Side effects as name:severity (mild, moderate, severe), separated by ;",
    "adherence": "1 (rarely as planned) to 5 (always as planned)",
    "burden": "1 (no burden) to 5 (very burdensome)",
    "cost_band": "none, low, medium or high",
    "reason_stopped": "Why the member stopped (empty when still using)",
}


def consenting(db: Session, community: Community) -> list[TreatmentReport]:
    return list(
        db.scalars(
            select(TreatmentReport)
            .join(Treatment)
            .where(
                Treatment.community_id == community.id, TreatmentReport.consent_to_publish.is_(True)
            )
        )
    )


def rows(reports: list[TreatmentReport], today: date) -> list[dict[str, Any]]:
    """One row per report, members replaced by ids drawn now and never stored."""
    ids: dict[int, str] = {}
    for report in reports:
        while report.user_id not in ids:
            candidate = "R" + secrets.token_hex(5)
            if candidate not in ids.values():
                ids[report.user_id] = candidate
    out = [
        {
            "participant": ids[r.user_id],
            "treatment": r.treatment.name,
            "treatment_kind": r.treatment.kind,
            "weeks_used": r.duration_days(today) // 7,
            "still_using": "no" if r.stopped_on else "yes",
            "dose": r.dose,
            "effectiveness": r.effectiveness,
            "effectiveness_score": EFFECT_SCORES[Effectiveness(r.effectiveness)],
            "side_effects": "; ".join(f"{s.name}:{s.severity}" for s in r.side_effects),
            "adherence": r.adherence,
            "burden": r.burden,
            "cost_band": r.cost_band,
            "reason_stopped": r.reason_stopped,
        }
        for r in reports
    ]
    # Sorted by random id: the order of rows must not follow the order of reporting.
    return sorted(out, key=lambda row: (row["treatment"], row["participant"]))


def write_csv(table: list[dict[str, Any]], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(table)


def metadata(community: Community, members: int) -> dict[str, Any]:
    return {
        "title": f"{community.name}: treatment reports by community members",
        "description": (
            f"Treatments that members of the {community.name} community on this portal "
            "reported using, with perceived effectiveness, side effects, adherence, burden "
            "and cost. Only reports whose authors opted in to publication are included; "
            "members are replaced by random ids regenerated for every version, and dates "
            "by whole weeks of use. Self-reports: not evidence from a clinical trial."
        ),
        "licence": LICENCE,
        "level": "participant",
        "study_design": "cross-sectional-study",
        "conditions": [community.condition],
        "keywords": ["patient-reported", "treatment reports"],
        "n_participants": members,
        "creators": [f"Members of the {community.name} community"],
    }


def _annotated_schema(path: Path) -> dict[str, Any]:
    schema = ingest(path).schema
    for column in schema.get("fields", []):
        if column["name"] in COLUMNS:
            column["description"] = COLUMNS[column["name"]]
    return schema


def dataset_of(db: Session, community: Community) -> TreatmentDataset | None:
    return db.scalar(select(TreatmentDataset).where(TreatmentDataset.community_id == community.id))


def publish(
    db: Session, app: Flask, community: Community, actor: User, *, k: int, today: date
) -> DatasetVersion:
    """Write, screen and publish the next version; raises ServiceError when refused."""
    policy.require_reviewer(db, community.id, actor)
    reports = consenting(db, community)
    members = len({r.user_id for r in reports})
    if members < k:
        raise Conflict(
            f"Fewer than {k} members have agreed to publish their reports; "
            "a dataset needs at least that many."
        )
    link = dataset_of(db, community)
    fd, name = tempfile.mkstemp(prefix="treatments-", suffix=".csv", dir=data.incoming_dir(app))
    os.close(fd)
    path = Path(name)
    try:
        write_csv(rows(reports, today), path)
        dataset, version, _ = data.ingest_file(
            db,
            app,
            path,
            filename=f"{community.slug}-treatment-reports.csv",
            user=actor,
            dataset=link.dataset if link else None,
            metadata=None if link else metadata(community, members),
            change_note=f"{len(reports)} consenting reports from {members} members.",
            schema=_annotated_schema(path),
        )
        data.publish(db, version, actor=actor)
    except (DatasetError, ServiceError) as error:
        raise Conflict(f"The datasets screening refused this version: {error}") from None
    finally:
        path.unlink(missing_ok=True)
    if link is None:
        db.add(TreatmentDataset(community_id=community.id, dataset_id=dataset.id))
    db.flush()
    return version


def published_versions(db: Session, community: Community) -> int:
    link = dataset_of(db, community)
    if link is None:
        return 0
    return (
        db.scalar(
            select(func.count())
            .select_from(DatasetVersion)
            .where(
                DatasetVersion.dataset_id == link.dataset_id,
                DatasetVersion.published_at.is_not(None),
            )
        )
        or 0
    )
