"""/api/v1/analyses: create and start a run, list runs, read a run's results."""

from __future__ import annotations

from flask import Blueprint, url_for
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from portal import db
from portal.accounts.models import User
from portal.api import schemas
from portal.api.errors import ApiError
from portal.api.spec import operation
from portal.api.views import api_error, http_error, paged
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
@operation(
    "Create and start an analysis run",
    "analyses",
    auth=True,
    scope="write",
    body=schemas.AnalysisCreate,
    responses={202: schemas.AnalysisAccepted},
    errors=(404, 409),
    example={
        "title": "BCG and tuberculosis",
        "kind": "aggregate",
        "datasets": [{"slug": "bcg", "version": 2}],
        "measure": "RR",
        "method": "REML",
        "options": {"hk": False, "level": 0.95},
        "harmonisation": {
            "study": "author",
            "columns": {"ai": "tpos", "n1i": "n1", "ci": "cpos", "n2i": "n2"},
        },
    },
)
def create_analysis(body: schemas.AnalysisCreate):
    session = db.session()
    try:
        versions = [
            services.find_version(
                session, current_user, item.slug, item.version, field=f"datasets[{index}]"
            )
            for index, item in enumerate(body.datasets)
        ]
        run = services.create_run(
            session,
            session.get(User, current_user.id),
            title=body.title,
            kind=body.kind,
            versions=versions,
            description=body.description,
        )
        services.set_harmonisation(run, body.harmonisation)
        services.set_method(
            run,
            measure=body.measure,
            method=body.method or "REML",
            hk=body.options.hk,
            level=body.options.level,
            participant=body.options.participant(),
        )
        job = services.queue(session, run)
    except RunError as error:
        session.rollback()
        raise _invalid(error) from None
    session.commit()
    runner.start(job.id)
    session.refresh(run)
    session.refresh(job)
    return {
        "analysis": services.run_json(run, url_for),
        "job": job.to_dict(),
        "links": {
            "analysis": url_for("reanalysis_api.get_analysis", run_id=run.id, _external=True),
            "job": url_for("api.get_job", job_id=job.id, _external=True),
        },
    }, 202


def _summary(run: AnalysisRun) -> dict:
    item = services.run_json(run, url_for)
    item.pop("results", None)
    return item


@bp.get("/analyses")
@operation(
    "List analysis runs",
    "analyses",
    query=schemas.PageQuery,
    responses={200: schemas.AnalysisPage},
    description="Finished runs, and your own drafts when signed in. Without results.",
)
def list_analyses(query: schemas.PageQuery):
    return paged(
        services.visible_runs(current_user).order_by(
            AnalysisRun.created_at.desc(), AnalysisRun.id.desc()
        ),
        query,
        _summary,
    )


@bp.get("/analyses/<int:run_id>")
@operation(
    "Read a run and its results", "analyses", responses={200: schemas.Analysis}, errors=(404,)
)
def get_analysis(run_id: int):
    run = db.session().get(AnalysisRun, run_id)
    if run is None or not services.can_view(current_user, run):
        raise ApiError(404, "not_found", f"No analysis {run_id}.")
    return services.run_json(run, url_for)
