"""Running a run: its versions' tables into ``analysis.execute``, and its result or
failure into its record. The statistics are all the ``analysis`` package's.
"""

from __future__ import annotations

from flask import Flask

import analysis
from portal.db import utcnow
from portal.reanalysis.building import dataset_names
from portal.reanalysis.inputs import read_frame
from portal.reanalysis.models import AnalysisRun, RunStatus


def compute(
    app: Flask, run: AnalysisRun, progress: analysis.runs.Progress = lambda fraction, message: None
) -> analysis.RunResult:
    """Run the analysis the run describes on the stored bytes of its dataset versions.
    Raises AnalysisInputError or ConvergenceError."""
    for item in run.inputs:
        if not item.version.is_published:
            raise analysis.AnalysisInputError(
                f"version {item.version.number} is not published",
                study=item.version.dataset.slug,
                field="version",
            )
    spec = analysis.RunSpec.from_options(
        kind=run.kind,
        measure=run.measure,
        method=run.method,
        datasets=dataset_names(run),
        harmonisation=run.harmonisation,
        options=run.options,
    )
    progress(0.1, "Reading the dataset versions")
    frames = {i.version.dataset.slug: read_frame(app, i.version, i.sha256) for i in run.inputs}
    return analysis.execute(spec, frames, progress=progress)


def record_success(run: AnalysisRun, computed: analysis.RunResult) -> None:
    run.results = computed.results
    run.software = computed.results["software"]
    run.status = RunStatus.FINISHED
    run.error, run.error_study, run.error_field = "", None, None
    run.finished_at = utcnow()


def record_failure(
    run: AnalysisRun, message: str, *, study: str | None = None, field: str | None = None
) -> None:
    run.status = RunStatus.FAILED
    run.error = message
    run.error_study = study[:300] if study else None
    run.error_field = field[:120] if field else None
    run.results = {}
    run.finished_at = utcnow()
