"""My work: everything a member has started, where it stands, and what waits on them.

Drafts, failed uploads and unfinished analyses are on no public list (only their
owner may see them), so without this page a researcher found them only by their
address. Each part comes from the tables it lives in; nothing is stored for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal import db, policy
from portal.data.models import Dataset
from portal.data.services import starts_a_dataset
from portal.db import utcnow
from portal.jobs.models import Job, JobState
from portal.reanalysis.models import AnalysisRun, RunStatus

bp = Blueprint("work", __name__)

#: How far back failed uploads and jobs are listed (finished jobs are pruned later).
RECENT = timedelta(days=30)
JOBS_SHOWN = 20


@dataclass(frozen=True)
class FailedUpload:
    job: Job
    title: str
    filename: str


@dataclass(frozen=True)
class Work:
    drafts: list[Dataset]
    published: list[Dataset]
    failed_uploads: list[FailedUpload]
    analyses: list[AnalysisRun]
    jobs: list[Job]

    @property
    def failed_analyses(self) -> list[AnalysisRun]:
        return [run for run in self.analyses if run.status == RunStatus.FAILED]

    @property
    def needs_action(self) -> int:
        """Drafts to publish or fix, uploads to try again, analyses that failed."""
        return len(self.drafts) + len(self.failed_uploads) + len(self.failed_analyses)


def of(session: Session, user: Any) -> Work:
    owner = policy.require_account(user)
    datasets = session.scalars(
        select(Dataset)
        .where(Dataset.owner_id == owner.id)
        .options(selectinload(Dataset.versions))
        .order_by(Dataset.updated_at.desc())
    ).all()
    # a dataset is a draft while its newest version awaits publication (or fixes)
    drafts: list[Dataset] = []
    published: list[Dataset] = []
    for dataset in datasets:
        waiting = bool(dataset.versions) and dataset.versions[-1].published_at is None
        (drafts if waiting else published).append(dataset)
    since = utcnow() - RECENT
    jobs = session.scalars(
        select(Job)
        .where(Job.owner_id == owner.id, Job.created_at >= since)
        .order_by(Job.created_at.desc())
    ).all()
    failed_uploads = [
        FailedUpload(
            job=job,
            title=str((job.payload.get("metadata") or {}).get("title") or "Untitled"),
            filename=str(job.payload.get("filename") or ""),
        )
        for job in jobs
        if job.state == JobState.FAILED and starts_a_dataset(job)
    ]
    analyses = session.scalars(
        select(AnalysisRun)
        .where(AnalysisRun.owner_id == owner.id)
        .order_by(AnalysisRun.created_at.desc(), AnalysisRun.id.desc())
    ).all()
    return Work(
        drafts=drafts,
        published=published,
        failed_uploads=failed_uploads,
        analyses=list(analyses),
        jobs=list(jobs[:JOBS_SHOWN]),
    )


@bp.get("/my-work")
@login_required
def index():
    return render_template("work.html", work=of(db.session(), current_user))
