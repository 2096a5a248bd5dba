from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from portal import db
from portal.accounts.models import Role
from portal.jobs.models import Job

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


def _visible_job(job_id: str) -> Job:
    job = db.session().get(Job, job_id)
    if job is None:
        abort(404)
    # A job may carry an uploader's draft: only its owner (or an admin) may follow it.
    if job.owner_id is not None and not (
        current_user.is_authenticated
        and (current_user.id == job.owner_id or current_user.has_role(Role.ADMIN))
    ):
        abort(404)
    return job


@bp.get("/<job_id>")
def show(job_id: str):
    return render_template("jobs/show.html", job=_visible_job(job_id))


@bp.get("/<job_id>.json")
def status(job_id: str):
    return _visible_job(job_id).to_dict()
