"""/api/v1/analyses: create and start a run, list runs, read a run's results."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_login import current_user

from portal import db, policy
from portal.api import schemas
from portal.api.blueprint import bp
from portal.api.jobs import job_url
from portal.api.pagination import paged
from portal.api.spec import operation
from portal.errors import NotFound, ServiceError
from portal.extensions import analysis_limit, limiter, user_or_address
from portal.jobs import runner
from portal.reanalysis import building, network, presenting
from portal.reanalysis.models import AnalysisRun


def analysis_url(run: AnalysisRun) -> str:
    return url_for("api.get_analysis", run_id=run.id, _external=True)


@bp.post("/analyses")
@limiter.shared_limit(analysis_limit, "analysis", key_func=user_or_address)
@operation(
    "Create and start an analysis run",
    "analyses",
    auth=True,
    scope="write",
    body=schemas.AnalysisCreate,
    responses={202: schemas.AnalysisAccepted},
    errors=(404, 409),
    description="An aggregate run pools one table of studies (with options.multilevel, "
    "a three-level model of several effects per study); a participant-level run pools "
    'participant rows; a network run ("kind": "network", measure OR, RR, RD or MD) '
    "compares several treatments across the arm rows of its datasets, with "
    'options.reference and options.small_values. A problem is a 400 whose "field" names '
    "it (datasets.<slug>.<role> for a network's columns), and nothing is recorded.",
    example={
        "title": "BCG and tuberculosis",
        "kind": "aggregate",
        "datasets": [{"slug": "bcg", "version": 2}],
        "measure": "RR",
        "method": "REML",
        "options": {"test": "t", "level": 0.95, "permutations": 1000, "predict": [{"ablat": 20}]},
        "harmonisation": {
            "study": "author",
            "columns": {"ai": "tpos", "n1i": "n1", "ci": "cpos", "n2i": "n2"},
            "moderators": ["ablat", "alloc"],
            "categorical_moderators": ["alloc"],
        },
    },
)
def create_analysis(body: schemas.AnalysisCreate) -> tuple[dict[str, Any], int]:
    session = db.session()
    owner = policy.require_account(current_user)
    versions = [
        building.find_version(session, owner, item.slug, item.version, field=f"datasets[{index}]")
        for index, item in enumerate(body.datasets)
    ]
    run = building.create_run(
        session,
        owner,
        title=body.title,
        kind=body.kind,
        versions=versions,
        description=body.description,
    )
    if run.kind == network.KIND:
        _specify_network(run, body)
    else:
        for name in sorted(body.options.chosen() & NETWORK_ONLY):
            raise ServiceError(f"options.{name} applies to network runs only.", f"options.{name}")
        building.set_harmonisation(run, body.harmonisation)
        building.set_method(
            run,
            measure=body.measure,
            method=body.method or "REML",
            hk=body.options.hk,
            test=body.options.test,
            level=body.options.level,
            participant=body.options.participant(),
            regression=body.options.regression(),
        )
    job = building.queue(session, run)
    session.commit()
    runner.start(job.id)
    session.refresh(run)
    session.refresh(job)
    return {
        "analysis": presenting.run_json(run, url_for),
        "job": job.to_dict(),
        "links": {"analysis": analysis_url(run), "job": job_url(job)},
    }, 202


#: the options of a network run; every other option is refused on one
NETWORK_OPTIONS = {"reference", "small_values", "level"}
#: and those that only a network run takes
NETWORK_ONLY = NETWORK_OPTIONS - {"level"}


def _specify_network(run: AnalysisRun, body: schemas.AnalysisCreate) -> None:
    """A network run's mapping, measure and options, each problem named by its field."""
    for name in sorted(body.options.chosen() - NETWORK_OPTIONS):
        raise ServiceError(
            f"options.{name} does not apply to a network run (its options are reference, "
            "small_values and level).",
            f"options.{name}",
        )
    if body.method.upper() not in ("", "REML"):
        raise ServiceError("A network run is fitted by REML; leave method out.", "method")
    network.set_specification(
        run,
        harmonisation=body.harmonisation,
        measure=body.measure,
        reference=body.options.reference or "",
        small_values=body.options.small_values or "good",
        level=body.options.level,
    )


def _summary(run: AnalysisRun) -> dict[str, Any]:
    item = presenting.run_json(run, url_for)
    for key in ("results", "comparison"):
        item.pop(key, None)
    return item


@bp.get("/analyses")
@operation(
    "List analysis runs",
    "analyses",
    query=schemas.PageQuery,
    responses={200: schemas.AnalysisPage},
    description="Finished runs, and your own drafts when signed in. Without results.",
)
def list_analyses(query: schemas.PageQuery) -> dict[str, Any]:
    return paged(
        policy.visible_runs(current_user).order_by(
            AnalysisRun.created_at.desc(), AnalysisRun.id.desc()
        ),
        query,
        _summary,
    )


@bp.get("/analyses/<int:run_id>")
@operation(
    "Read a run and its results", "analyses", responses={200: schemas.Analysis}, errors=(404,)
)
def get_analysis(run_id: int) -> dict[str, Any]:
    run = db.session().get(AnalysisRun, run_id)
    if run is None or not policy.can_view_run(current_user, run):
        raise NotFound(f"No analysis {run_id}.")
    return presenting.run_json(run, url_for)
