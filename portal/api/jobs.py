"""/api/v1/jobs: follow the work a request started (checking a file, running an analysis)."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_login import current_user

from portal import db, policy
from portal.api import schemas
from portal.api.blueprint import bp
from portal.api.spec import operation
from portal.errors import NotFound
from portal.jobs import runner
from portal.jobs.models import Job


def start_job(kind: str, payload: dict[str, Any]) -> Job:
    """Record a job for the caller, commit it, and hand it to the runner."""
    session = db.session()
    job = runner.submit(session, kind, payload, owner_id=current_user.id)
    session.commit()
    runner.start(job.id)
    session.refresh(job)
    return job


def job_url(job: Job) -> str:
    return url_for("api.get_job", job_id=job.id, _external=True)


def accepted(job: Job) -> tuple[dict[str, Any], int]:
    return {"job": job.to_dict(), "links": {"job": job_url(job)}}, 202


@bp.get("/jobs/<job_id>")
@operation(
    "Follow a job",
    "jobs",
    responses={200: schemas.Job},
    errors=(404,),
    description="A job started by a user is visible to that user (and admins) only.",
)
def get_job(job_id: str) -> dict[str, Any]:
    job = db.session().get(Job, job_id)
    if job is None or not policy.can_view_job(current_user, job):
        raise NotFound(f"No job {job_id!r}.")
    return job.to_dict()
