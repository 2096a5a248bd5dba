"""Pages of a pooled reanalysis: choose data, map variables, choose the method, run, read."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

import analysis
from portal import db, policy
from portal.errors import ServiceError
from portal.extensions import analysis_limit, limiter, user_or_address
from portal.jobs import runner
from portal.reanalysis import building, certainty, figures, inputs, living, network, presenting
from portal.reanalysis.forms import StepForm
from portal.reanalysis.models import AnalysisRun, RunStatus

bp = Blueprint("reanalysis", __name__, url_prefix="/analyses")
PER_PAGE = 30


@bp.app_context_processor
def reanalysis_globals() -> dict:
    return {
        "latest_analyses": lambda limit=5: building.latest_finished(db.session(), limit),
        "analyses_using": lambda dataset: building.runs_using(db.session(), dataset),
        "analysis_failure": presenting.failure,
    }


def _run(run_id: int, may: Callable[[Any, AnalysisRun], bool] | None = None) -> AnalysisRun:
    """The run, as a missing page to whoever may not see it, and a refusal to whoever
    sees it but ``may`` not do what the view does."""
    run = db.session().get(AnalysisRun, run_id)
    if run is None or not policy.can_view_run(current_user, run):
        abort(404)
    if may is not None and not may(current_user, run):
        abort(403)
    return run


def _editable(run_id: int) -> AnalysisRun:
    run = _run(run_id, policy.can_edit_run)
    if not run.is_draft:
        flash(
            "This analysis has already run and is kept as it is. "
            "“Edit and run again” makes a new run from it that you can change.",
            "info",
        )
        abort(redirect(url_for("reanalysis.show", run_id=run.id)))
    return run


def _derivable(run_id: int) -> AnalysisRun:
    run = _run(run_id)
    if run.status not in (RunStatus.FINISHED, RunStatus.FAILED):
        abort(409)
    if not policy.can_derive_run(current_user, run):
        abort(403)
    return run


def _queue_and_show(session: Session, run: AnalysisRun) -> BaseResponse:
    """Queue the run, commit, start its job and send the browser to the job's page. The
    job may start only once committed; a ServiceError from queueing leaves the session
    uncommitted, for the caller to roll back."""
    job = building.queue(session, run)
    session.commit()
    runner.start(job.id)
    return redirect(url_for("jobs.show", job_id=job.id), 303)


@bp.get("/")
def index():
    session = db.session()
    runs = session.scalars(
        policy.visible_runs(current_user)
        .order_by(AnalysisRun.created_at.desc(), AnalysisRun.id.desc())
        .limit(PER_PAGE)
    ).all()
    return render_template("reanalysis/index.html", title="Analyses", runs=runs)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    session = db.session()
    form = StepForm()
    kind = request.values.get("kind", "aggregate")
    if kind not in building.KINDS:
        kind = analysis.Kind.AGGREGATE.value
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        keys = request.form.getlist("datasets")
        try:
            versions = [building.version_by_key(session, current_user, key) for key in keys]
            run = building.create_run(
                session,
                policy.require_account(current_user),
                title=request.form.get("title", ""),
                kind=kind,
                versions=versions,
                description=request.form.get("description", ""),
            )
        except ServiceError as error:
            session.rollback()
            errors[error.field or "form"] = str(error)
        else:
            session.commit()
            step = "reanalysis.network_builder" if kind == network.KIND else "reanalysis.mapping"
            return redirect(url_for(step, run_id=run.id), 303)
    choices = {
        level: building.published_versions(session, level) for level in ("aggregate", "participant")
    }
    return render_template(
        "reanalysis/new.html",
        title="New analysis",
        form=form,
        kind=kind,
        choices=choices,
        errors=errors,
        selected=request.form.getlist("datasets"),
    ), 400 if errors else 200


def _aggregate_mapping(form) -> dict:
    columns = {role: form.get(f"col_{role}") or None for role in analysis.ROLE_LABELS}
    return {
        "columns": {k: v for k, v in columns.items() if v},
        "study": form.get("study") or None,
        "year": form.get("year") or None,
        "subgroup": form.get("subgroup") or None,
        "effect_id": form.get("effect_id") or None,
        "moderators": [c for c in form.getlist("moderators") if c],
        "categorical_moderators": [c for c in form.getlist("categorical_moderators") if c],
    }


def _participant_mapping(run: AnalysisRun, form) -> dict:
    datasets = {}
    for index, item in enumerate(run.inputs):
        prefix = f"d{index}_"
        get = lambda name, prefix=prefix: (form.get(prefix + name) or "").strip() or None  # noqa: E731
        events = [v for v in form.getlist(prefix + "event_values") if v.strip()]
        datasets[item.version.dataset.slug] = {
            "arm": get("arm"),
            "treatment": get("treatment"),
            "control": get("control"),
            "outcome": get("outcome"),
            "event": get("event"),
            "time": get("time"),
            "event_values": events or None,
            "study": get("study"),
            "covariates": _covariate_pairs(get("covariates") or ""),
        }
    categorical = [c.strip() for c in (form.get("categorical") or "").split(",") if c.strip()]
    return {
        "outcome_type": form.get("outcome_type") or "binary",
        "datasets": datasets,
        "missing": "drop",
        "categorical": categorical,
    }


def _covariate_pairs(text: str) -> dict[str, str]:
    """ "age=AGE, sex=SEX" (analysis name = this dataset's column); a bare "age" means the
    column has the analysis name."""
    pairs = {}
    for part in text.split(","):
        name, _, column = part.partition("=")
        if name.strip():
            pairs[name.strip()] = column.strip() or name.strip()
    return pairs


@bp.route("/<int:run_id>/map", methods=["GET", "POST"])
@login_required
def mapping(run_id: int):
    run = _editable(run_id)
    if run.kind == network.KIND:
        return redirect(url_for("reanalysis.network_builder", run_id=run.id), 303)
    form = StepForm()
    errors: dict[str, str] = {}
    suggested = False
    h = run.harmonisation
    if form.validate_on_submit():
        h = (
            _aggregate_mapping(request.form)
            if run.kind == "aggregate"
            else _participant_mapping(run, request.form)
        )
        try:
            building.set_harmonisation(run, h)
        except ServiceError as problem:
            errors[problem.field or "form"] = str(problem)
        else:
            db.session().commit()
            return redirect(url_for("reanalysis.method", run_id=run.id), 303)
    elif not h:
        h, suggested = building.suggested_harmonisation(run), True
    return render_template(
        "reanalysis/map.html",
        title="Map the variables",
        run=run,
        form=form,
        roles=analysis.ROLE_LABELS,
        outcome_types=analysis.OutcomeType,
        tables=analysis.StudyTable,
        h=h,
        errors=errors,
        suggested=suggested,
        columns={i.id: inputs.column_names(i.version) for i in run.inputs},
        values={i.id: inputs.top_values(i.version) for i in run.inputs},
    ), 400 if errors else 200


@bp.route("/<int:run_id>/method", methods=["GET", "POST"])
@login_required
@limiter.shared_limit(analysis_limit, "analysis", key_func=user_or_address, methods=["POST"])
def method(run_id: int):
    run = _editable(run_id)
    if run.kind == network.KIND:
        return redirect(url_for("reanalysis.network_builder", run_id=run.id), 303)
    form = StepForm()
    error, field = None, None
    status = 200
    if form.validate_on_submit():
        session = db.session()
        try:
            participant = None
            if run.kind == "participant":
                participant = {
                    "stage": request.form.get("stage", "two-stage"),
                    "covariates": request.form.get("covariates", ""),
                    "study_effect": request.form.get("study_effect", "fixed"),
                    "filters": request.form.get("filters", ""),
                }
            regression: dict[str, Any] | None = None
            if run.kind == "aggregate":
                regression = {"multilevel": bool(request.form.get("multilevel"))}
            if regression is not None and (run.harmonisation or {}).get("moderators"):
                regression.update(
                    permutations=request.form.get("permutations") or 0,
                    seed=request.form.get("seed") or None,
                    predict=request.form.get("predict", ""),
                )
            building.set_method(
                run,
                measure=request.form.get("measure", ""),
                method=request.form.get("method", ""),
                hk=bool(request.form.get("hk")),
                test=request.form.get("test") or None,
                level=request.form.get("level") or 0.95,
                participant=participant,
                regression=regression,
            )
            return _queue_and_show(session, run)
        except ServiceError as problem:
            session.rollback()
            error, field, status = str(problem), problem.field, problem.status
    return render_template(
        "reanalysis/method.html",
        title="Choose the method",
        run=run,
        form=form,
        error=error,
        error_field=field,
        chosen=_chosen_method(run, request.form if error else None),
        measures=analysis.Kind(run.kind).measures,
        measure_labels=analysis.MEASURE_LABELS,
        method_labels=analysis.METHOD_LABELS,
        stage_labels=analysis.STAGE_LABELS,
        study_effect_labels=analysis.STUDY_EFFECT_LABELS,
        test_labels=analysis.TEST_LABELS,
        moderators=(run.harmonisation or {}).get("moderators") or [],
        filters_text=request.form.get("filters")
        if error
        else presenting.filters_text(run.options.get("filters")),
        mapped_covariates=analysis.ipd.mapped_covariates(run.harmonisation),
    ), status


def _network_mapping(run: AnalysisRun, form) -> dict:
    datasets = {}
    for index, item in enumerate(run.inputs):
        datasets[item.version.dataset.slug] = {
            role: (form.get(f"d{index}_{role}") or "").strip() or None
            for role in network.ROLE_LABELS
        }
    return {"datasets": datasets}


@bp.route("/<int:run_id>/network", methods=["GET", "POST"])
@login_required
@limiter.shared_limit(analysis_limit, "analysis", key_func=user_or_address, methods=["POST"])
def network_builder(run_id: int):
    """The one step of a network run: each dataset's columns, the measure, the reference;
    a refused choice is shown again as typed, with the problem beside its field."""
    run = _editable(run_id)
    if run.kind != network.KIND:
        return redirect(url_for("reanalysis.mapping", run_id=run.id), 303)
    form = StepForm()
    errors: dict[str, str] = {}
    h = run.harmonisation or {"datasets": {}}
    options = {
        "measure": run.measure or "OR",
        "reference": (run.options or {}).get("reference") or "",
        "small_values": (run.options or {}).get("small_values", "good"),
        "level": (run.options or {}).get("level", 0.95),
    }
    if form.validate_on_submit():
        session = db.session()
        h = _network_mapping(run, request.form)
        options = {
            key: request.form.get(key, "") for key in ("measure", "reference", "small_values")
        } | {"level": request.form.get("level") or 0.95}
        try:
            network.set_specification(run, harmonisation=h, **options)
            return _queue_and_show(session, run)
        except ServiceError as problem:
            session.rollback()
            errors[problem.field or "form"] = str(problem)
    return render_template(
        "reanalysis/network_builder.html",
        title="Build the network",
        run=run,
        form=form,
        h=h,
        options=options,
        errors=errors,
        roles=network.ROLE_LABELS,
        measures=network.MEASURE_LABELS,
        columns={i.id: inputs.column_names(i.version) for i in run.inputs},
        values={i.id: inputs.top_values(i.version) for i in run.inputs},
    ), 400 if errors else 200


def _chosen_method(run: AnalysisRun, form) -> dict:
    """What the method step shows as chosen: what was just sent when it was refused (so
    nothing typed is lost), else the run's own choice."""
    o = run.options or {}
    if form is None:
        return {
            "measure": run.measure,
            "method": run.method,
            "hk": bool(o.get("hk")),
            "test": "knha" if o.get("hk") else o.get("test", "z"),
            "level": o.get("level", 0.95),
            "permutations": o.get("permutations") or 0,
            "seed": o.get("seed") if o.get("seed") is not None else "",
            "predict": "\n".join(
                "; ".join(f"{k} = {v}" for k, v in at.items()) for at in o.get("predict") or []
            ),
            "stage": o.get("stage", "two-stage"),
            "study_effect": o.get("study_effect", "fixed"),
            "covariates": ", ".join(o.get("covariates") or []),
            "multilevel": bool(o.get("multilevel")),
        }
    return {
        "measure": form.get("measure", ""),
        "method": form.get("method", ""),
        "hk": bool(form.get("hk")),
        "test": form.get("test") or ("knha" if form.get("hk") else "z"),
        "level": form.get("level", ""),
        "permutations": form.get("permutations", ""),
        "seed": form.get("seed", ""),
        "predict": form.get("predict", ""),
        "stage": form.get("stage", "two-stage"),
        "study_effect": form.get("study_effect", "fixed"),
        "covariates": form.get("covariates", ""),
        "multilevel": bool(form.get("multilevel")),
    }


@bp.get("/<int:run_id>")
def show(run_id: int):
    return _show(_run(run_id))


def _show(
    run: AnalysisRun,
    *,
    certainty_error: ServiceError | None = None,
    typed: Mapping[str, str] | None = None,
):
    session = db.session()
    finished_or_failed = run.status in (RunStatus.FINISHED, RunStatus.FAILED)
    derived = living.derived_runs(session, run, current_user)
    newer = living.newer_versions(run) if run.is_finished else []
    if run.kind == network.KIND:
        return render_template(
            "reanalysis/network_show.html",
            title=run.title,
            run=run,
            form=StepForm(),
            results=run.results,
            fmt=presenting.fmt,
            fmt_p=presenting.fmt_p,
            failure=presenting.failure(run),
            can_edit=policy.can_edit_run(current_user, run),
            can_derive=finished_or_failed and policy.can_derive_run(current_user, run),
            measure_labels=network.MEASURE_LABELS,
            words=network.in_words(run.results) if run.is_finished else None,
        )
    return render_template(
        "reanalysis/show.html",
        title=run.title,
        run=run,
        form=StepForm(),
        results=run.results,
        fmt=presenting.fmt,
        fmt_p=presenting.fmt_p,
        fmt_change=presenting.fmt_change,
        nat=presenting.nat,
        natural_scale=presenting.natural_scale,
        natural_words=presenting.NATURAL_WORDS,
        can_edit=policy.can_edit_run(current_user, run),
        can_derive=finished_or_failed and policy.can_derive_run(current_user, run),
        can_follow=policy.can_follow_run(current_user, run),
        follow=living.following(session, run, current_user),
        failure=presenting.failure(run),
        newer=newer,
        on_newest=next((r for r in derived if newer and living.on_newest(run, r)), None),
        derived=derived,
        parent=living.run_parent(run),
        comparison=living.comparison(run),
        version_changes=living.version_changes(run),
        measure_labels=analysis.MEASURE_LABELS,
        method_labels=analysis.METHOD_LABELS,
        certainty=certainty.summary(run),
        test_labels=analysis.TEST_LABELS,
        has_plot=lambda plot: run.is_finished and figures.has_plot(run, plot),
        can_rate=policy.can_rate_certainty(current_user, run),
        ratings=certainty.RATINGS,
        certainty_error=certainty_error,
        typed=typed or {},
    ), 400 if certainty_error else 200


@bp.post("/<int:run_id>/certainty")
@login_required
def rate_certainty(run_id: int):
    """The analyst's ratings of the certainty of evidence, each with its reason; a
    refused one shows the page again with what was typed and the problem beside it."""
    run = _run(run_id, policy.can_rate_certainty)
    form = StepForm()
    if not form.validate_on_submit():
        abort(400)
    session = db.session()
    try:
        changed = certainty.rate(run, policy.require_account(current_user), request.form)
    except ServiceError as problem:
        session.rollback()
        return _show(run, certainty_error=problem, typed=request.form)
    session.commit()
    flash(
        f"Certainty of evidence updated: {', '.join(changed)}."
        if changed
        else "Nothing changed in the certainty of evidence.",
        "info",
    )
    return redirect(url_for("reanalysis.show", run_id=run.id, _anchor="certainty"), 303)


@bp.post("/<int:run_id>/rerun")
@login_required
@limiter.shared_limit(analysis_limit, "analysis", key_func=user_or_address)
def rerun(run_id: int):
    run = _derivable(run_id)
    session = db.session()
    new_run = building.rerun(session, run, policy.require_account(current_user))
    return _queue_and_show(session, new_run)


@bp.post("/<int:run_id>/edit")
@login_required
def edit(run_id: int):
    """A new draft with this run's specification, opened in the builder; the run
    itself stays as it is."""
    run = _derivable(run_id)
    session = db.session()
    draft = building.derive(session, run, policy.require_account(current_user))
    session.commit()
    flash(
        f"This is a new draft made from analysis {run.id}, which stays as it is. "
        "Change what you need, then run it.",
        "info",
    )
    return redirect(url_for("reanalysis.mapping", run_id=draft.id), 303)


@bp.post("/<int:run_id>/newest")
@login_required
@limiter.shared_limit(analysis_limit, "analysis", key_func=user_or_address)
def run_newest(run_id: int):
    """Run this analysis' specification on the newest published versions of its data.
    When a newer version lacks a column the mapping names, the new draft opens at the
    mapping step, saying which."""
    run = _derivable(run_id)
    session = db.session()
    draft = living.run_on_newest(session, run, policy.require_account(current_user))
    try:
        building.check_harmonisation(draft, draft.harmonisation)
    except ServiceError as problem:
        session.commit()
        flash(f"The newer data needs the mapping checked. {problem}", "error")
        return redirect(url_for("reanalysis.mapping", run_id=draft.id), 303)
    return _queue_and_show(session, draft)


@bp.post("/<int:run_id>/follow")
@login_required
def follow(run_id: int):
    run = _run(run_id, policy.can_follow_run)
    session = db.session()
    if request.form.get("action") == "unfollow":
        living.unfollow(session, run, policy.require_account(current_user))
        message = "You no longer follow this analysis."
    else:
        email = bool(request.form.get("email"))
        living.follow(session, run, policy.require_account(current_user), email=email)
        message = "You follow this analysis: you will be told when it gets a newer run or " + (
            "its data a newer version, here and by e-mail."
            if email
            else "its data a newer version."
        )
    session.commit()
    flash(message, "info")
    return redirect(url_for("reanalysis.show", run_id=run.id), 303)


@bp.get(
    "/<int:run_id>/<any(forest, funnel, bubble, subgroups, network, baujat, radial, labbe, gosh)"
    ":plot>.<any(svg, png, pdf):fmt>"
)
def plot(run_id: int, plot: str, fmt: str):
    run = _run(run_id)
    if not run.is_finished or run.finished_at is None:
        abort(404)
    try:
        body = figures.drawing(current_app, run, plot, fmt)
    except figures.NoPlot:
        abort(404, description="This analysis has nothing to draw in this plot.")
    response = Response(body, mimetype=figures.MEDIA_TYPES[fmt])
    if request.args.get("download"):
        response.headers["Content-Disposition"] = (
            f'attachment; filename="analysis-{run.id}-{plot}.{fmt}"'
        )
    # the drawing never changes under this key; a retitled run gets a new one
    response.set_etag(figures.key(run, plot, fmt))
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response.make_conditional(request)


@bp.get("/<int:run_id>/results.<any(json, csv):fmt>")
def results(run_id: int, fmt: str):
    run = _run(run_id)
    if not run.is_finished:
        abort(404)
    if fmt == "json":
        body = json.dumps(presenting.run_json(run, url_for), indent=2, sort_keys=True)
        mimetype = "application/json"
    elif run.kind == network.KIND:
        body, mimetype = network.results_csv(run), "text/csv"
    else:
        body, mimetype = presenting.results_csv(run), "text/csv"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="analysis-{run.id}.{fmt}"'
    return response
