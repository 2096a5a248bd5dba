"""Publish a community's consenting reports as the next version of an open dataset.

Rows are participant-level but carry no identity: each member gets a random id that
is made afresh for every version (so versions cannot be linked member by member),
dates become bands of weeks of use, and the rows are made k-anonymous and 2-diverse
(portal.treatments.anonymise): only trusted members' consenting reports are used, no
treatment with fewer than k of them appears, and free text appears only where k
members wrote the same. A new version is made only when at least k consenting
reports changed since the last one, so comparing two versions isolates no one. The
file goes through the datasets feature like any upload (validation and identifier
screening); a dose typed as an e-mail address blocks publication exactly as it would
in a researcher's file.
"""

from __future__ import annotations

import csv
import os
import secrets
import tempfile
from datetime import date, datetime
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
from portal.db import utcnow
from portal.errors import Conflict, ServiceError
from portal.treatments import aggregates, anonymise, releases
from portal.treatments.aggregates import Floor
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
    "weeks_used": "Weeks from start to stop (to publication when still in use), in bands "
    "(0-4, 5-12, 13-26, 27-52, 53+, or 0-12, 13-52, 53+), or withheld",
    "still_using": "yes when no stop date was given",
    "dose": "Dose as written, when at least k members of the treatment wrote the same; "
    "otherwise other, or withheld",
    "effectiveness": "Perceived effectiveness: worse, none, slight, moderate, major",
    "effectiveness_score": "-1 (made it worse) to 3 (major)",
    "side_effects": "Side effects named by at least k members of the treatment, as "
    "name:severity (mild, moderate, severe), separated by ;",
    "adherence": "1 (rarely as planned) to 5 (always as planned)",
    "burden": "1 (no burden) to 5 (very burdensome)",
    "cost_band": "none, low, medium or high, or withheld",
    "reason_stopped": "Why the member stopped (empty when still using), or just stopped",
}


def consenting(
    db: Session, community: Community, floor: Floor, now: datetime
) -> list[TreatmentReport]:
    """The reports whose authors agreed to publication, from trusted accounts."""
    return list(
        db.scalars(
            select(TreatmentReport)
            .join(Treatment)
            .join(User, User.id == TreatmentReport.user_id)
            .where(
                Treatment.community_id == community.id,
                TreatmentReport.consent_to_publish.is_(True),
                policy.trusted_accounts(now, floor.trusted_after),
            )
            .order_by(TreatmentReport.id)
        )
    )


def rows(reports: list[TreatmentReport], today: date, k: int) -> anonymise.Anonymised:
    """The rows to publish, members replaced by ids drawn now and never stored."""
    raw = [
        {
            "user_id": r.user_id,
            "treatment": r.treatment.name,
            "treatment_kind": r.treatment.kind,
            "weeks": r.duration_days(today) // 7,
            "weeks_used": "",
            "still_using": "no" if r.stopped_on else "yes",
            "dose": r.dose,
            "effectiveness": r.effectiveness,
            "side_effects": [(s.name, s.severity) for s in r.side_effects],
            "adherence": r.adherence,
            "burden": r.burden,
            "cost_band": r.cost_band,
            "reason_stopped": r.reason_stopped,
        }
        for r in reports
    ]
    result = anonymise.anonymise(raw, k)
    ids: dict[int, str] = {}
    for row in result.rows:
        while row["user_id"] not in ids:
            candidate = "R" + secrets.token_hex(5)
            if candidate not in ids.values():
                ids[row["user_id"]] = candidate
    table = [
        {
            "participant": ids[row["user_id"]],
            "treatment": row["treatment"],
            "treatment_kind": row["treatment_kind"],
            "weeks_used": row["weeks_used"],
            "still_using": row["still_using"],
            "dose": row["dose"],
            "effectiveness": row["effectiveness"],
            "effectiveness_score": EFFECT_SCORES[Effectiveness(row["effectiveness"])],
            "side_effects": "; ".join(
                f"{name}:{severity}" for name, severity in row["side_effects"]
            ),
            "adherence": row["adherence"],
            "burden": row["burden"],
            "cost_band": row["cost_band"],
            "reason_stopped": row["reason_stopped"],
        }
        for row in result.rows
    ]
    # Sorted by random id: the order of rows must not follow the order of reporting.
    result.rows = sorted(table, key=lambda row: (row["treatment"], row["participant"]))
    return result


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


def _change_note(table: anonymise.Anonymised, members: int) -> str:
    note = f"{len(table.rows)} consenting reports from {members} members"
    if table.left_out:
        note += f" ({table.left_out} left out so that no one can be singled out)"
    return note + (f"; coarsened: {', '.join(table.steps)}." if table.steps else ".")


def publish(
    db: Session, app: Flask, community: Community, actor: User, *, floor: Floor, today: date
) -> DatasetVersion:
    """Write, screen and publish the next version; raises ServiceError when refused."""
    policy.require_reviewer(db, community.id, actor)
    floor = aggregates.for_community(floor, community.min_reporters)
    k = floor.k
    reports = consenting(db, community, floor, utcnow())
    members = len({r.user_id for r in reports})
    if members < k:
        raise Conflict(
            f"Fewer than {k} established members have agreed to publish their reports; "
            "a dataset needs at least that many."
        )
    link = dataset_of(db, community)
    basis = releases.basis_of(reports)
    if link is not None and link.basis:
        differ = releases.changed(link.basis, basis)
        if differ < k:
            raise Conflict(
                f"{differ} consenting report{'' if differ == 1 else 's'} changed since the "
                f"last version; a new version is made once at least {k} have, so that "
                "comparing versions cannot single out one member's report."
            )
    table = rows(reports, today, k)
    if not table.rows:
        raise Conflict(
            f"No treatment has at least {k} consenting reports that can be published "
            "without singling anyone out."
        )
    fd, name = tempfile.mkstemp(prefix="treatments-", suffix=".csv", dir=data.incoming_dir(app))
    os.close(fd)
    path = Path(name)
    published_members = len({row["participant"] for row in table.rows})
    try:
        write_csv(table.rows, path)
        dataset, version, _ = data.ingest_file(
            db,
            app,
            path,
            filename=f"{community.slug}-treatment-reports.csv",
            user=actor,
            dataset=link.dataset if link else None,
            metadata=None if link else metadata(community, published_members),
            change_note=(
                f"{len(table.rows)} consenting reports from {published_members} members"
                + (
                    f" ({table.left_out} left out to keep everyone anonymous)"
                    if table.left_out
                    else ""
                )
                + (f"; coarsened: {', '.join(table.steps)}." if table.steps else ".")
            ),
            schema=_annotated_schema(path),
        )
        # Its rows were made k-anonymous above, and the publisher asked for this release.
        data.publish(db, version, actor=actor, confirmed=True)
    except (DatasetError, ServiceError) as error:
        raise Conflict(f"The datasets screening refused this version: {error}") from None
    finally:
        path.unlink(missing_ok=True)
    if link is None:
        link = TreatmentDataset(community_id=community.id, dataset_id=dataset.id)
        db.add(link)
    link.basis = basis
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
