"""The job that runs an analysis: the run's state follows the job's."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

import analysis
from portal.jobs.runner import JobContext, JobFailure, TaskFunction, job_session
from portal.reanalysis import computing, figures, network
from portal.reanalysis.models import AnalysisRun, RunStatus
from portal.reanalysis.presenting import INTERNAL_ERROR


def _set_state(context: JobContext, run_id: int, **values: Any) -> None:
    """Commit the run's state on a connection of its own (the task's session only reads
    until it records the results, so this never waits behind it on SQLite)."""
    with job_session(context.app) as session:
        session.execute(update(AnalysisRun).where(AnalysisRun.id == run_id).values(**values))
        session.commit()


def _fail(
    context: JobContext,
    run_id: int,
    message: str,
    *,
    study: str | None = None,
    field: str | None = None,
) -> None:
    with job_session(context.app) as session:
        run = session.get(AnalysisRun, run_id)
        if run is not None:
            computing.record_failure(run, message, study=study, field=field)
            session.commit()


def run_analysis(context: JobContext, *, run_id: int, draw_plots: bool = True) -> dict[str, Any]:
    session = context.session
    run = context.row(AnalysisRun, run_id, "analysis")
    if run.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
        raise JobFailure(f"The analysis is {run.status}; only a queued analysis runs.")
    session.rollback()  # end the read transaction before another connection writes
    _set_state(context, run_id, status=RunStatus.RUNNING)
    context.progress(0.05, "Starting the analysis", force=True)
    run = context.row(AnalysisRun, run_id, "analysis")
    page = f"/analyses/{run_id}"
    try:
        if run.kind == network.KIND:
            return _run_network(context, run, page, draw_plots=draw_plots)
        computed = computing.compute(context.app, run, progress=context.progress)
    except analysis.AnalysisInputError as error:
        session.rollback()
        _fail(context, run_id, str(error), study=error.study, field=error.field)
        raise JobFailure(str(error), url=page) from None
    except analysis.ConvergenceError as error:
        session.rollback()
        _fail(context, run_id, f"The model did not converge: {error}", field="method")
        raise JobFailure(f"The model did not converge: {error}", url=page) from None
    except Exception as error:
        session.rollback()
        # the page explains this in plain words; the log keeps the fault
        _fail(
            context,
            run_id,
            f"{INTERNAL_ERROR} ({type(error).__name__}); the analysis was not completed.",
        )
        raise
    context.progress(0.9, "Recording the results", force=True)
    # in memory until the job commits: nothing here may write through this session,
    # or the progress updates (another connection) would wait behind it on SQLite
    computing.record_success(run, computed)
    if draw_plots:
        context.progress(0.95, "Drawing the plots", force=True)
        try:
            figures.draw_all(context.app, run, computed)
        except Exception:  # noqa: BLE001 - a page can still draw them on first request
            context.app.logger.exception("Could not draw the plots of analysis %s", run_id)
    return {
        "url": page,
        "analysis": run_id,
        "estimate": (
            computed.results.get("pooled") or computed.results["multilevel"]["coefficients"][0]
        )["estimate"],
    }


def _run_network(
    context: JobContext, run: AnalysisRun, page: str, *, draw_plots: bool
) -> dict[str, Any]:
    """Compute and record a network run (its errors are handled by the caller)."""
    context.progress(0.1, "Reading the dataset versions and fitting the network", force=True)
    result = network.compute(context.app, run)
    context.progress(0.9, "Recording the results", force=True)
    network.record_success(run, result)
    if draw_plots:
        context.progress(0.95, "Drawing the network graph", force=True)
        try:
            figures.draw_network(context.app, run, result)
        except Exception:  # noqa: BLE001 - the page draws it on first request
            context.app.logger.exception("Could not draw the network graph of analysis %s", run.id)
    return {"url": page, "analysis": run.id, "best": result.ranking[0]}


#: What each kind does, in the words of the job and "My work" pages.
LABELS = {"analysis.run": "Running an analysis"}

#: The job kinds this feature runs (registered by portal.reanalysis.init_app).
TASKS: dict[str, TaskFunction] = {"analysis.run": run_analysis}
