"""/api/v1/analyses: create and start a run, list runs, read a run's results."""
from __future__ import annotations

from flask import Blueprint, request, url_for
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from portal import db
from portal.accounts.models import User
from portal.api.auth import require_scope
from portal.api.errors import ApiError
from portal.api.views import api_error, http_error, login_required, page_arguments
from portal.extensions import csrf
from portal.jobs import runner
from portal.reanalysis import services
from portal.reanalysis.models import AnalysisRun
from portal.reanalysis.services import RunError

bp = Blueprint("reanalysis_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
bp.register_error_handler(ApiError, api_error)
bp.register_error_handler(HTTPException, http_error)


def _invalid(error: RunError) -> ApiError:
    code = {404: "not_found", 409: "not_published"}.get(error.status, "invalid")
    return ApiError(error.status, code, str(error), error.field)


@bp.post("/analyses")
@login_required
def create_analysis():
    require_scope("write")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid", "Send a JSON object (Content-Type: application/json).")
    session = db.session()
    datasets = body.get("datasets")
    if not isinstance(datasets, list) or not datasets:
        raise ApiError(400, "invalid", "'datasets' is a list of {\"slug\", \"version\"}.",
                       "datasets")
    options = body.get("options") or {}
    if not isinstance(options, dict):
        raise ApiError(400, "invalid", "'options' is an object: {\"hk\": bool, \"level\": 0.95}.",
                       "options")
    harmonisation = body.get("harmonisation")
    if not isinstance(harmonisation, dict):
        raise ApiError(400, "invalid", "'harmonisation' is an object (see the documentation).",
                       "harmonisation")
    try:
        versions = []
        for index, item in enumerate(datasets):
            if not isinstance(item, dict):
                raise RunError("Each dataset is {\"slug\", \"version\"}.", f"datasets[{index}]")
            versions.append(services.find_version(
                session, current_user, item.get("slug"), item.get("version"),
                field=f"datasets[{index}]"))
        run = services.create_run(session, session.get(User, current_user.id),
                                  title=str(body.get("title") or ""),
                                  kind=str(body.get("kind") or "aggregate"), versions=versions,
                                  description=str(body.get("description") or ""))
        services.set_harmonisation(run, harmonisation)
        services.set_method(run, measure=str(body.get("measure") or ""),
                            method=str(body.get("method") or "REML"),
                            hk=bool(options.get("hk", False)), level=options.get("level", 0.95),
                            participant={k: options[k] for k in services.PARTICIPANT_OPTIONS
                                         if k in options} or None)
        job = services.queue(session, run)
    except RunError as error:
        session.rollback()
        raise _invalid(error) from None
    session.commit()
    runner.start(job.id)
    session.refresh(run)
    session.refresh(job)
    return {"analysis": services.run_json(run, url_for), "job": job.to_dict(),
            "links": {"analysis": url_for("reanalysis_api.get_analysis", run_id=run.id,
                                          _external=True),
                      "job": url_for("api.get_job", job_id=job.id, _external=True)}}, 202


@bp.get("/analyses")
def list_analyses():
    page, per_page = page_arguments()
    rows = db.session().scalars(
        services.visible_runs(current_user)
        .order_by(AnalysisRun.created_at.desc(), AnalysisRun.id.desc())
        .offset((page - 1) * per_page).limit(per_page + 1)).all()
    items = []
    for run in rows[:per_page]:
        item = services.run_json(run, url_for)
        item.pop("results", None)
        items.append(item)
    return {"items": items, "page": page, "per_page": per_page, "has_more": len(rows) > per_page}


@bp.get("/analyses/<int:run_id>")
def get_analysis(run_id: int):
    run = db.session().get(AnalysisRun, run_id)
    if run is None or not services.can_view(current_user, run):
        raise ApiError(404, "not_found", f"No analysis {run_id}.")
    return services.run_json(run, url_for)
