"""The page that follows a job; its script polls the job in the API (portal.api.jobs)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from portal import db, policy
from portal.jobs import runner
from portal.jobs.models import Job

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


def _visible_job(job_id: str) -> Job:
    job = db.session().get(Job, job_id)
    if job is None or not policy.can_view_job(current_user, job):
        abort(404)
    return job


@bp.app_template_global("job_label")
def job_label(kind: str) -> str:
    return runner.label(kind)


@bp.get("/<job_id>")
def show(job_id: str) -> str:
    return render_template("jobs/show.html", job=_visible_job(job_id))
