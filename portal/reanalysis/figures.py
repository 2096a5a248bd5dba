"""A finished run's plots, drawn once and kept as files.

A run never changes once it has finished, so its forest and funnel plots are drawn
when the job records the results (SVG, which the results page shows) or on the
first request for another format, and served from ``DATA_DIR/plots`` after that.
The file's name carries a digest of everything the drawing depends on (the run,
its end, the title printed on the plot, the plot and the format), so a reused id
in another database or a retitled run never gets a stale picture. Writes go to a
temporary file renamed into place, so two processes drawing the same plot at once
both leave a whole file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, abort, current_app

import analysis
import analysis.diagnostics
import analysis.network
from portal import db
from portal.extensions import the_app
from portal.reanalysis import computing, network
from portal.reanalysis.models import AnalysisRun

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PLOTS = ("forest", "funnel")
#: metafor's diagnostic plots, drawn from the pooled model re-fitted on its studies
DIAGNOSTIC_PLOTS = analysis.diagnostics.PLOTS
#: plots drawn from the stored results alone (a meta-regression's bubble plot, the
#: forest plot by subgroup): the results key each needs
STORED_PLOTS = {"bubble": "meta_regression", "subgroups": "subgroups"}
#: the one plot of a network run
NETWORK_PLOTS = ("network",)
MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf"}


class NoPlot(LookupError):
    """The run has no pooled estimate to plot."""


def key(run: AnalysisRun, plot: str, fmt: str) -> str:
    """The digest naming one drawing of one run (also its ETag)."""
    assert run.finished_at is not None
    # the same instant whether read back from the database (naive on SQLite) or
    # still in the job's hands (aware)
    finished = run.finished_at.replace(tzinfo=None).isoformat(timespec="microseconds")
    parts = (str(run.id), finished, _title(run), plot, fmt)
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def path(app: Flask, run: AnalysisRun, plot: str, fmt: str) -> Path:
    return (
        Path(app.config["DATA_DIR"]) / "plots" / str(run.id) / f"{plot}-{key(run, plot, fmt)}.{fmt}"
    )


def drawing(app: Flask, run: AnalysisRun, plot: str, fmt: str) -> bytes:
    """The plot's bytes: from its file, or drawn now and kept. NoPlot when the run has
    no pooled estimate."""
    target = path(app, run, plot, fmt)
    try:
        return target.read_bytes()
    except FileNotFoundError:
        pass
    if run.kind == network.KIND:
        if plot not in NETWORK_PLOTS:
            raise NoPlot(run.id)
        return _keep(target, _network_drawing(network.stored_result(run), run, fmt))
    if plot in STORED_PLOTS:
        return _keep(target, _draw_stored(run, plot, fmt))
    if plot not in PLOTS and plot not in DIAGNOSTIC_PLOTS:
        raise NoPlot(run.id)
    if plot in DIAGNOSTIC_PLOTS and not has_plot(run, plot):
        raise NoPlot(run.id)
    computed = _computed(app.config["DATA_DIR"], run.id, run.finished_at.isoformat())  # type: ignore[union-attr]
    return _draw_and_keep(target, computed, run, plot, fmt)


def draw_all(app: Flask, run: AnalysisRun, computed: analysis.RunResult) -> None:
    """Draw the SVG plots the results page shows, while the job has the results."""
    if computed.pooled is None:
        return
    for plot in PLOTS:
        target = path(app, run, plot, "svg")
        if not target.exists():
            _draw_and_keep(target, computed, run, plot, "svg")
    for plot in STORED_PLOTS:
        target = path(app, run, plot, "svg")
        if not target.exists() and has_plot(run, plot):
            _keep(target, _draw_stored(run, plot, "svg"))
    for plot in DIAGNOSTIC_PLOTS:
        target = path(app, run, plot, "svg")
        if not target.exists() and has_plot(run, plot):
            # has_plot reads the stored results; a re-fit that does not converge still
            # leaves the page without that plot rather than failing the run
            with contextlib.suppress(NoPlot):
                _draw_and_keep(target, computed, run, plot, "svg")


def has_plot(run: AnalysisRun, plot: str) -> bool:
    """Whether the run's results hold what ``plot`` draws."""
    if plot in DIAGNOSTIC_PLOTS:
        return _has_diagnostic(run.results.get("pooled"), plot)
    if plot not in STORED_PLOTS:
        return bool(run.results.get("pooled"))
    stored = run.results.get(STORED_PLOTS[plot])
    return isinstance(stored, dict) and "unavailable" not in stored


def _has_diagnostic(pooled: object, plot: str) -> bool:
    """Whether a pooled result can have ``plot``: two studies or more, an
    inverse-variance model for the re-fitting plots, 2x2 tables for L'Abbé's."""
    if not isinstance(pooled, dict) or (pooled.get("k") or 0) < 2:
        return False
    if plot in ("baujat", "gosh"):
        return pooled.get("method") not in ("MH", "PETO")
    if plot == "labbe":
        studies = pooled.get("studies") or []
        return pooled.get("measure") in analysis.diagnostics.LABBE_SCALES and all(
            all(name in s for name in ("ai", "bi", "ci", "di")) for s in studies
        )
    return True


def _draw_stored(run: AnalysisRun, plot: str, fmt: str) -> bytes:
    from analysis import plots

    if not has_plot(run, plot):
        raise NoPlot(run.id)
    stored = run.results[STORED_PLOTS[plot]]
    if plot == "bubble":
        figure = plots.bubble_plot(stored, title=_title(run))
    else:
        figure = plots.subgroup_forest_plot(stored, title=_title(run))
    body = plots.render(figure, fmt)
    return body.encode() if isinstance(body, str) else body


def draw_network(app: Flask, run: AnalysisRun, result: analysis.network.NetworkResult) -> None:
    """Draw the network graph the results page shows, while the job has the result."""
    target = path(app, run, "network", "svg")
    if not target.exists():
        _keep(target, _network_drawing(result, run, "svg"))


def _network_drawing(result: analysis.network.NetworkResult, run: AnalysisRun, fmt: str) -> bytes:
    from analysis import plots

    body = plots.render(plots.network_plot(result, title=_title(run)), fmt)
    return body.encode() if isinstance(body, str) else body


def _draw_and_keep(
    target: Path, computed: analysis.RunResult, run: AnalysisRun, plot: str, fmt: str
) -> bytes:
    from analysis import plots

    if computed.pooled is None:
        raise NoPlot(run.id)
    if plot in DIAGNOSTIC_PLOTS:
        figure = _diagnostic_figure(computed.pooled, plot, _title(run))
    else:
        draw = plots.forest_plot if plot == "forest" else plots.funnel_plot
        figure = draw(computed.pooled, title=_title(run))
    body = plots.render(figure, fmt)
    return _keep(target, body.encode() if isinstance(body, str) else body)


def _diagnostic_figure(pooled: analysis.MetaAnalysisResult, plot: str, title: str) -> Figure:
    from analysis import plots

    try:
        coords = analysis.diagnostics.of_result(pooled, plot)
    except (analysis.AnalysisInputError, analysis.ConvergenceError) as error:
        raise NoPlot(plot) from error
    if isinstance(coords, analysis.diagnostics.Baujat):
        labels = [
            label
            for label, kept in zip(
                pooled.study_table.labels, pooled.study_table.included, strict=True
            )
            if kept
        ]
        return plots.baujat_plot(coords, labels, title=title, fixed=pooled.method == "FE")
    if isinstance(coords, analysis.diagnostics.Radial):
        return plots.radial_plot(coords, measure=pooled.measure, level=pooled.level, title=title)
    if isinstance(coords, analysis.diagnostics.Labbe):
        return plots.labbe_plot(coords, measure=pooled.measure, title=title)
    return plots.gosh_plot(coords, measure=pooled.measure, title=title)


def _keep(target: Path, data: bytes) -> bytes:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".drawing-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return data


def _title(run: AnalysisRun) -> str:
    return run.title[:80]


@lru_cache(maxsize=32)
def _computed(data_dir: str, run_id: int, finished_at: str) -> analysis.RunResult:
    """A finished run recomputed from its immutable inputs, for a plot not yet drawn;
    the key names the store and the run's end, so a reused id in another database
    never hits."""
    run = db.session().get(AnalysisRun, run_id)
    if run is None:
        abort(404)
    computed = computing.compute(the_app(), run)
    if computed.results["pooled"]["estimate"] != run.results["pooled"]["estimate"]:
        current_app.logger.error("Analysis %s no longer reproduces its estimate", run_id)
        abort(500)
    return computed
