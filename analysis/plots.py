"""Forest, funnel, network and diagnostic plots rendered to SVG text or PNG/PDF bytes.

Figures are built on :class:`matplotlib.figure.Figure` directly (Agg
rendering, no pyplot and so no global figure registry), which is safe in a
web worker.  SVG output is deterministic: a fixed ``svg.hashsalt`` and no
date metadata, so the same result always gives byte-identical SVG (useful
for caching and for stored-run comparisons).
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Polygon
from matplotlib.ticker import (
    FixedFormatter,
    FixedLocator,
    FuncFormatter,
    LogLocator,
    MaxNLocator,
    NullLocator,
)
from scipy import stats

from .diagnostics import Baujat, Gosh, Labbe, Radial
from .network import NetworkResult
from .results import MetaAnalysisResult
from .transforms import back_transform, forward_transform_array
from .vocabulary import MEASURE_LABELS, RATIO_MEASURES

_SVG_SALT = "analysis-plots"
# "GEN" marks estimates pooled as given (effect_sizes_from_estimates)
_AXIS_LABELS = {**MEASURE_LABELS, "GEN": "Estimate"}
RATIO = frozenset(str(m) for m in RATIO_MEASURES)
# measures drawn where they are pooled but labelled on the natural scale (metafor's
# forest(res, atransf=...)), so each interval keeps the symmetry it was computed with
_NATURAL_AXIS_LABELS = {
    "PLO": "Proportion (drawn on the log-odds scale)",
    "ZCOR": "Correlation (drawn on Fisher's z scale)",
    "PAS": "Proportion (drawn on the arcsine square-root scale)",
}


def _fmt(value: float | None, ratio: bool, digits: int = 2, measure: str = "") -> str:
    if value is None or not math.isfinite(value):
        return "NA"
    if ratio:
        return f"{math.exp(value):.{digits}f}"
    natural = back_transform(measure, value) if measure in _NATURAL_AXIS_LABELS else None
    return f"{value if natural is None else natural:.{digits}f}"


def forest_plot(
    result: MetaAnalysisResult,
    *,
    title: str | None = None,
    xlabel: str | None = None,
    show_prediction: bool = True,
    digits: int = 2,
) -> Figure:
    """Forest plot: study estimates with CIs (squares sized by weight), pooled
    diamond and, for random-effects models, the prediction interval.

    Ratio measures are drawn on a log axis labelled on the ratio scale.
    """
    ratio = result.is_ratio
    m = result.measure
    studies = result.studies
    n = len(studies)
    fig = Figure(figsize=(10, 1.6 + 0.32 * (n + 3)), layout="constrained")
    grid = fig.add_gridspec(1, 3, width_ratios=[3.2, 5, 3.4])
    ax_lab = fig.add_subplot(grid[0])
    ax = fig.add_subplot(grid[1], sharey=ax_lab)
    ax_txt = fig.add_subplot(grid[2], sharey=ax_lab)

    tx = math.exp if ratio else (lambda v: v)
    pooled_row = -1.0
    rows = np.arange(n)[::-1] + 1.0
    max_w = max((s.weight for s in studies if s.included), default=1.0) or 1.0

    lows: list[float] = []
    highs: list[float] = []
    for row, s in zip(rows, studies, strict=True):
        ax_lab.text(0, row, s.label, va="center", ha="left", fontsize=9)
        if s.yi is None or s.ci_low is None or s.ci_high is None:
            ax_txt.text(0, row, "not estimable", va="center", ha="left", fontsize=9, color="0.4")
            continue
        lows.append(s.ci_low)
        highs.append(s.ci_high)
        ax.plot([tx(s.ci_low), tx(s.ci_high)], [row, row], color="black", lw=1)
        half = 0.12 + 0.25 * math.sqrt(max(s.weight, 0.0) / max_w)
        # squares in data units would distort on a log axis; use a marker instead
        ax.plot(
            [tx(s.yi)],
            [row],
            marker="s",
            color="black" if s.included else "0.6",
            markersize=2 + 18 * half,
            linestyle="none",
        )
        weight = f"{s.weight:5.1f}%" if s.included else "   --"
        ax_txt.text(
            0,
            row,
            f"{_fmt(s.yi, ratio, digits, m)} [{_fmt(s.ci_low, ratio, digits, m)}, "
            f"{_fmt(s.ci_high, ratio, digits, m)}]  {weight}",
            va="center",
            ha="left",
            fontsize=9,
            family="monospace",
        )

    est, lo, hi = result.estimate, result.ci_low, result.ci_high
    lows.append(lo)
    highs.append(hi)
    diamond = Polygon(
        [
            (tx(lo), pooled_row),
            (tx(est), pooled_row + 0.35),
            (tx(hi), pooled_row),
            (tx(est), pooled_row - 0.35),
        ],
        closed=True,
        facecolor="black",
    )
    ax.add_patch(diamond)
    model = {"FE": "Fixed-effect model", "MH": "Mantel-Haenszel model", "PETO": "Peto model"}.get(
        result.method,
        f"Random-effects model ({result.method}"
        + {"knha": ", HK", "t": ", t"}.get(result.test, "")
        + ")",
    )
    ax_lab.text(0, pooled_row, model, va="center", ha="left", fontsize=9, weight="bold")
    ax_txt.text(
        0,
        pooled_row,
        f"{_fmt(est, ratio, digits, m)} [{_fmt(lo, ratio, digits, m)}, "
        f"{_fmt(hi, ratio, digits, m)}] 100.0%",
        va="center",
        ha="left",
        fontsize=9,
        family="monospace",
        weight="bold",
    )
    if show_prediction and result.pi_low is not None and result.pi_high is not None:
        pi_row = pooled_row - 0.75
        ax.plot(
            [tx(result.pi_low), tx(result.pi_high)],
            [pi_row, pi_row],
            color="0.3",
            lw=1.5,
            linestyle="--",
        )
        ax_lab.text(
            0, pi_row, "Prediction interval", va="center", ha="left", fontsize=8, color="0.3"
        )
        ax_txt.text(
            0,
            pi_row,
            f"[{_fmt(result.pi_low, ratio, digits, m)}, {_fmt(result.pi_high, ratio, digits, m)}]",
            va="center",
            ha="left",
            fontsize=8,
            family="monospace",
            color="0.3",
        )
        lows.append(result.pi_low)
        highs.append(result.pi_high)

    _finish_forest(
        fig,
        ax,
        (ax_lab, ax_txt),
        lows,
        highs,
        ratio=ratio,
        measure=m,
        rows=(pooled_row - 1.6, n + 1.0),
        xlabel=xlabel,
        title=title,
    )
    ax_lab.text(0, n + 0.6, "Study", fontsize=9, weight="bold", va="center")
    ax_txt.text(
        0,
        n + 0.6,
        f"{'Ratio' if ratio else _NATURAL_HEADINGS.get(m, 'Estimate')} "
        f"[{result.level:.0%} CI]  Weight",
        fontsize=9,
        weight="bold",
        va="center",
    )
    het = (
        f"Heterogeneity: tau\u00b2 = {result.tau2:.3g}; I\u00b2 = {result.i2:.1f}%; "
        f"Q = {result.q:.2f}, df = {result.q_df}, p = {result.q_pvalue:.3g}"
    )
    ax_lab.text(0, pooled_row - 1.2, het, fontsize=7.5, va="center", ha="left", color="0.2")
    return fig


def _finish_forest(
    fig: Figure,
    ax: Any,
    side_axes: Sequence[Any],
    lows: Sequence[float],
    highs: Sequence[float],
    *,
    ratio: bool,
    measure: str,
    rows: tuple[float, float],
    xlabel: str | None = None,
    title: str | None = None,
) -> None:
    """The axes every forest plot ends with: an x axis spanning every interval drawn
    (``lows``/``highs`` on the pooled scale) with a little room, the line of no effect,
    ticks on the ratio or natural scale, ``rows`` as the y range, and the label and
    text columns bare."""
    # a proportion or correlation has no line of no effect to keep in view
    null = [] if measure in _NATURAL_AXIS_LABELS else [0.0]
    span_lo, span_hi = min([*lows, *null]), max([*highs, *null])
    pad = 0.05 * (span_hi - span_lo or 1.0)
    tx = math.exp if ratio else (lambda v: v)
    if null:
        ax.axvline(tx(0.0), color="0.5", lw=0.8, linestyle=":")
    _set_x_axis(ax, tx(span_lo - pad), tx(span_hi + pad), ratio, measure)
    ax.set_ylim(*rows)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    for extra_ax in side_axes:
        extra_ax.set_xlim(0, 1)
        extra_ax.axis("off")
    ax.set_xlabel(
        xlabel
        or _NATURAL_AXIS_LABELS.get(measure)
        or _AXIS_LABELS.get(measure, measure) + (" (log scale)" if ratio else "")
    )
    if title:
        fig.suptitle(title, fontsize=11)


_NATURAL_TICKS = {
    "PLO": np.array(
        [0.001, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99]
        + [0.999]
    ),
    "PAS": np.array(
        [0.0, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0]
    ),
    "ZCOR": np.array(
        [-0.99, -0.95, -0.9, -0.8, -0.6, -0.4, -0.2, 0.0, 0.2, 0.4, 0.6, 0.8, 0.9, 0.95, 0.99]
    ),
}
_NATURAL_HEADINGS = {"PLO": "Proportion", "ZCOR": "Correlation", "PAS": "Proportion"}


def _ratio_label(value: float) -> str:
    """A tick's ratio as printed: "0.5", "20"; a power of ten past 1,000 or below
    0.001 as "1e4" or "1e-4", which is shorter than "10000" and than "1e+04"."""
    if value >= 1e4 or 0 < value < 1e-3:
        exponent = math.log10(value)
        if abs(exponent - round(exponent)) < 1e-9:
            return f"1e{round(exponent)}"
    return f"{value:g}"


def _set_x_axis(ax: Any, low: float, high: float, ratio: bool, measure: str = "") -> None:
    """Linear axis, or for ratios a log axis with 1-2-5 ticks labelled as ratios; a
    measure pooled as log odds, Fisher's z or arcsine gets round natural values (0.1,
    0.2, ...) as ticks, placed where they fall on the pooled scale."""
    if measure in _NATURAL_AXIS_LABELS and not ratio:
        nat_low = back_transform(measure, low)
        nat_high = back_transform(measure, high)
        if nat_low is not None and nat_high is not None and nat_high > nat_low:
            ticks = _NATURAL_TICKS[measure]
            with np.errstate(divide="ignore"):
                positions = forward_transform_array(measure, ticks)
            inside = np.isfinite(positions) & (positions > low) & (positions < high)
            ticks, positions = ticks[inside], positions[inside]
            # round values crowd where the scale is stretched (near 0 and 1 on the
            # log-odds axis), so keep only those a seventh of the axis apart
            kept: list[int] = []
            for i, x in enumerate(positions):
                if not kept or x - positions[kept[-1]] >= (high - low) / 7:
                    kept.append(i)
            ax.xaxis.set_major_locator(FixedLocator(positions[kept]))
            ax.xaxis.set_major_formatter(FixedFormatter([f"{t:g}" for t in ticks[kept]]))
            ax.set_xlim(low, high)
            return
    if ratio:
        ax.set_xscale("log")
        # 1-2-5 ticks fit a narrow range; over many decades their labels ("0.005",
        # "0.01", ...) would run into each other, so wider ranges get fewer per decade
        # and, past six decades, not every decade
        decades = math.log10(high / low) if low > 0 and high > low else 1.0
        subs = (1.0, 2.0, 5.0) if decades <= 1.5 else (1.0, 3.0) if decades <= 3 else (1.0,)
        numticks = 7 if decades <= 6 else 5
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=subs, numticks=numticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _ratio_label(v)))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6))
    ax.set_xlim(low, high)


def funnel_plot(
    result: MetaAnalysisResult,
    *,
    title: str | None = None,
    xlabel: str | None = None,
    level: float = 0.95,
) -> Figure:
    """Funnel plot of estimates against standard errors (inverted axis), with
    the pooled estimate and the pseudo-confidence region ``estimate +/- z * se``
    (as ``metafor::funnel`` for models without moderators).
    """
    ratio = result.is_ratio
    points = [(s.yi, s.se) for s in result.studies if s.yi is not None and s.se is not None]
    yi = np.array([p[0] for p in points])
    se = np.array([p[1] for p in points])
    fig = Figure(figsize=(6, 5), layout="constrained")
    ax = fig.add_subplot()
    top = float(se.max()) * 1.05 if len(se) else 1.0
    crit = float(stats.norm.isf((1 - level) / 2))
    tx = np.exp if ratio else (lambda v: v)
    grid = np.linspace(0, top, 50)
    est = result.estimate
    left, right = est - crit * grid, est + crit * grid
    ax.fill(
        tx(np.concatenate([left, right[::-1]])),
        np.concatenate([grid, grid[::-1]]),
        color="0.93",
        zorder=0,
    )
    ax.plot(tx(left), grid, color="0.4", lw=0.8, linestyle="--")
    ax.plot(tx(right), grid, color="0.4", lw=0.8, linestyle="--")
    ax.axvline(tx(est), color="black", lw=1)
    ax.scatter(tx(yi), se, color="black", s=22, zorder=3)
    ax.set_ylim(top, 0)
    ax.set_ylabel("Standard error")
    ax.set_xlabel(
        xlabel
        or _AXIS_LABELS.get(result.measure, result.measure) + (" (log scale)" if ratio else "")
    )
    span = np.concatenate([yi, left, right])
    pad = 0.03 * (span.max() - span.min() or 1.0)
    _set_x_axis(ax, float(tx(span.min() - pad)), float(tx(span.max() + pad)), ratio)
    if title:
        ax.set_title(title)
    return fig


def network_plot(result: NetworkResult, *, title: str | None = None) -> Figure:
    """Network graph: one node per treatment on a circle (its area grows with the number of
    studies that have an arm of it) and one line per pair compared head to head, as wide as
    the number of such studies, which is written on it."""
    names = result.treatments
    t = len(names)
    angle = np.pi / 2 - 2 * np.pi * np.arange(t) / t
    x, y = np.cos(angle), np.sin(angle)
    at = {name: i for i, name in enumerate(names)}
    fig = Figure(figsize=(6.4, 6.4), layout="constrained")
    ax = fig.add_subplot()
    widest = max((e.n_studies for e in result.edges), default=1)
    for edge in result.edges:
        i, j = at[edge.first], at[edge.second]
        ax.plot(
            [x[i], x[j]],
            [y[i], y[j]],
            color="#4a6fa5",
            lw=1.0 + 7.0 * edge.n_studies / widest,
            solid_capstyle="round",
            zorder=1,
        )
        ax.text(
            (x[i] + x[j]) / 2,
            (y[i] + y[j]) / 2,
            str(edge.n_studies),
            ha="center",
            va="center",
            fontsize=9,
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none"},
            zorder=3,
        )
    most = max(result.treatment_studies.values(), default=1)
    sizes = [150 + 650 * result.treatment_studies.get(name, 0) / most for name in names]
    ax.scatter(x, y, s=sizes, color="#f2b134", edgecolor="black", zorder=2)
    for i, name in enumerate(names):
        ax.text(
            1.18 * x[i],
            1.18 * y[i],
            name,
            ha="center" if abs(x[i]) < 0.3 else ("left" if x[i] > 0 else "right"),
            va="center",
            fontsize=10,
        )
    ax.set_xlim(-1.7, 1.7)
    ax.set_ylim(-1.4, 1.4)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return fig


def bubble_plot(
    regression: Mapping[str, Any],
    *,
    moderator: str | None = None,
    title: str | None = None,
) -> Figure:
    """Bubble plot of a meta-regression (``metafor::regplot``) from its stored form
    (:meth:`analysis.moderators.ModeratorAnalysis.to_dict`): each study's estimate
    against one moderator, the bubble's area proportional to its weight, with the
    predicted effect and its confidence band (the other moderators at their mean or
    first category).  A categorical moderator is drawn at one position per category."""
    specs = {m["name"]: m for m in regression["moderators"]}
    if moderator is None:
        moderator = next(
            (m["name"] for m in regression["moderators"] if m["kind"] == "continuous"),
            regression["moderators"][0]["name"],
        )
    spec = specs[moderator]
    ratio = regression.get("scale") == "log"
    tx = np.exp if ratio else (lambda v: np.asarray(v, dtype=float))
    studies = regression["studies"]
    categorical = spec["kind"] == "categorical"
    levels = list(spec["levels"])
    x = np.array(
        [levels.index(s[moderator]) if categorical else s[moderator] for s in studies],
        dtype=float,
    )
    y = np.array([s["yi"] for s in studies], dtype=float)
    w = np.array([s["weight"] for s in studies], dtype=float)
    line = regression["lines"][moderator]
    fig = Figure(figsize=(7, 5), layout="constrained")
    ax = fig.add_subplot()
    if categorical:
        positions = np.arange(len(levels), dtype=float)
        est = tx(line["estimate"])
        low, high = tx(line["ci_low"]), tx(line["ci_high"])
        ax.errorbar(
            positions,
            est,
            yerr=[est - low, high - est],
            fmt="D",
            color="black",
            capsize=4,
            zorder=4,
        )
        ax.set_xticks(positions, levels)
        ax.set_xlim(-0.6, len(levels) - 0.4)
    else:
        grid = np.asarray(line["x"], dtype=float)
        ax.fill_between(grid, tx(line["ci_low"]), tx(line["ci_high"]), color="0.88", zorder=0, lw=0)
        ax.plot(grid, tx(line["estimate"]), color="black", lw=1.5, zorder=3)
    size = 20 + 400 * w / (w.max() if len(w) and w.max() > 0 else 1.0)
    ax.scatter(x, tx(y), s=size, facecolor="0.6", edgecolor="black", alpha=0.7, zorder=2)
    if ratio:
        ax.set_yscale("log")
        # the same 1-2-5 ratio ticks as the forest plot's axis
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0), numticks=7))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
        ax.yaxis.set_minor_locator(NullLocator())
    ax.axhline(float(tx(0.0)), color="0.5", lw=0.8, linestyle=":")
    measure = regression.get("measure", "")
    ax.set_ylabel(_AXIS_LABELS.get(measure, measure) + (" (log scale)" if ratio else ""))
    ax.set_xlabel(moderator)
    qm, qm_p = regression["qm"], regression["qm_pvalue"]
    dist = "F" if regression.get("df") is not None else "QM"
    test = "" if qm is None or qm_p is None else f"{dist} = {qm:.2f}, p = {qm_p:.3g}; "
    ax.set_title(
        (f"{title}\n" if title else "") + test + f"R\u00b2 = {regression['r2']:.0f}%",
        fontsize=10,
    )
    return fig


def subgroup_forest_plot(
    subgroups: Mapping[str, Any],
    *,
    title: str | None = None,
    digits: int = 2,
) -> Figure:
    """Forest plot by subgroup from its stored form
    (:meth:`analysis.subgroups.SubgroupResult.to_dict`): each subgroup's studies, a
    diamond for each subgroup's pooled estimate, the overall diamond, and the test for
    subgroup differences."""
    groups = subgroups["subgroups"]
    overall = subgroups["overall"]
    ratio = overall.get("scale") == "log"
    m = str(overall.get("measure", ""))
    tx = math.exp if ratio else (lambda v: v)
    n_rows = sum(len(g["studies"]) + 2 for g in groups) + 2
    fig = Figure(figsize=(10, 1.6 + 0.3 * n_rows), layout="constrained")
    grid = fig.add_gridspec(1, 3, width_ratios=[3.2, 5, 3.0])
    ax_lab = fig.add_subplot(grid[0])
    ax = fig.add_subplot(grid[1], sharey=ax_lab)
    ax_txt = fig.add_subplot(grid[2], sharey=ax_lab)
    row = float(n_rows)
    lows: list[float] = []
    highs: list[float] = []

    def text(r: float, est: float, lo: float, hi: float, bold: bool = False) -> None:
        ax_txt.text(
            0,
            r,
            f"{_fmt(est, ratio, digits, m)} [{_fmt(lo, ratio, digits, m)}, "
            f"{_fmt(hi, ratio, digits, m)}]",
            va="center",
            ha="left",
            fontsize=9,
            family="monospace",
            weight="bold" if bold else "normal",
        )

    def diamond(r: float, est: float, lo: float, hi: float, colour: str) -> None:
        ax.add_patch(
            Polygon(
                [(tx(lo), r), (tx(est), r + 0.35), (tx(hi), r), (tx(est), r - 0.35)],
                closed=True,
                facecolor=colour,
            )
        )
        lows.append(lo)
        highs.append(hi)

    for g in groups:
        ax_lab.text(0, row, str(g["group"]), va="center", ha="left", fontsize=9, weight="bold")
        row -= 1
        max_w = max((s["weight"] for s in g["studies"] if s["included"]), default=1.0) or 1.0
        for s in g["studies"]:
            ax_lab.text(0.04, row, s["study"], va="center", ha="left", fontsize=9)
            if s["yi"] is not None and s["ci_low"] is not None and s["ci_high"] is not None:
                ax.plot([tx(s["ci_low"]), tx(s["ci_high"])], [row, row], color="black", lw=1)
                half = 0.12 + 0.25 * math.sqrt(max(s["weight"], 0.0) / max_w)
                ax.plot([tx(s["yi"])], [row], marker="s", color="black", markersize=2 + 18 * half)
                text(row, s["yi"], s["ci_low"], s["ci_high"])
                lows.append(s["ci_low"])
                highs.append(s["ci_high"])
            row -= 1
        ax_lab.text(
            0.04,
            row,
            f"Subgroup {g['group']} (k = {g['k']}; I\u00b2 = {g['i2']:.0f}%)",
            va="center",
            ha="left",
            fontsize=9,
            style="italic",
        )
        diamond(row, g["estimate"], g["ci_low"], g["ci_high"], "0.45")
        text(row, g["estimate"], g["ci_low"], g["ci_high"], bold=True)
        row -= 1
    ax_lab.text(0, row, "Overall", va="center", ha="left", fontsize=9, weight="bold")
    diamond(row, overall["estimate"], overall["ci_low"], overall["ci_high"], "black")
    text(row, overall["estimate"], overall["ci_low"], overall["ci_high"], bold=True)
    t = subgroups["test_for_subgroup_differences"]
    ax_lab.text(
        0,
        row - 1,
        f"Test for subgroup differences: Q = {t['statistic']:.2f}, df = {t['df']}, "
        f"p = {t['pvalue']:.3g}",
        va="center",
        ha="left",
        fontsize=8,
        color="0.2",
    )
    _finish_forest(
        fig,
        ax,
        (ax_lab, ax_txt),
        lows,
        highs,
        ratio=ratio,
        measure=m,
        rows=(row - 1.6, n_rows + 1.0),
        title=title,
    )
    return fig


# ---------------------------------------------------------------------------
# diagnostic plots (coordinates from analysis.diagnostics)


def baujat_plot(
    coords: Baujat, labels: Sequence[str], *, title: str | None = None, fixed: bool = False
) -> Figure:
    """Baujat plot (``metafor::baujat``): each study's contribution to the heterogeneity
    statistic against its influence on the pooled estimate, labelled by study."""
    fig = Figure(figsize=(6.4, 5), layout="constrained")
    ax = fig.add_subplot()
    x, y = coords.x, coords.y
    shown = np.isfinite(x) & np.isfinite(y)
    ax.scatter(x[shown], y[shown], color="black", s=18, zorder=3)
    for xi, yi, label in zip(x[shown], y[shown], np.asarray(labels)[shown], strict=True):
        ax.annotate(
            str(label)[:24], (xi, yi), xytext=(4, 3), textcoords="offset points", fontsize=7.5
        )
    ax.grid(color="0.9", lw=0.8)
    ax.set_xlabel("Contribution to overall heterogeneity" if fixed else "Squared Pearson residual")
    ax.set_ylabel("Influence on overall result")
    if title:
        ax.set_title(title)
    return fig


def radial_plot(
    coords: Radial, *, measure: str, level: float = 0.95, title: str | None = None
) -> Figure:
    """Radial (Galbraith) plot (``metafor::radial``): standardised estimates against
    precision; the pooled estimate is the slope of the line through the origin, with a
    band of +/- z around it."""
    fig = Figure(figsize=(6.4, 5), layout="constrained")
    ax = fig.add_subplot()
    crit = float(stats.norm.isf((1 - level) / 2))
    top = 1.1 * float(coords.x.max()) if len(coords.x) else 1.0
    grid = np.array([0.0, top])
    line = coords.slope * grid
    ax.fill_between(grid, line - crit, line + crit, color="0.93", zorder=0, lw=0)
    ax.plot(grid, line, color="black", lw=1)
    ax.plot(grid, line - crit, color="0.4", lw=0.8, linestyle="--")
    ax.plot(grid, line + crit, color="0.4", lw=0.8, linestyle="--")
    ax.axhline(0.0, color="0.5", lw=0.8, linestyle=":")
    ax.scatter(coords.x, coords.z, color="black", s=22, zorder=3)
    ax.set_xlim(0, top)
    ax.set_xlabel("Precision, 1/sqrt(v + tau\u00b2)" if coords.tau2 > 0 else "Precision, 1/se")
    label = _AXIS_LABELS.get(measure, measure)
    ax.set_ylabel(f"Standardised estimate ({label}" + (", log scale)" if measure in RATIO else ")"))
    if title:
        ax.set_title(title)
    return fig


_LABBE_AXES = {
    "RR": "Log risk",
    "OR": "Log odds",
    "RD": "Risk",
    "AS": "Arcsine square root of risk",
}


def labbe_plot(coords: Labbe, *, measure: str, title: str | None = None) -> Figure:
    """L'Abbé plot (``metafor::labbe``): each study's outcome in the treatment arm
    against the control arm, with the line of no effect and the pooled effect."""
    fig = Figure(figsize=(5.6, 5.4), layout="constrained")
    ax = fig.add_subplot()
    both = np.concatenate([coords.control, coords.treatment])
    low, high = (float(both.min()), float(both.max())) if len(both) else (0.0, 1.0)
    pad = 0.05 * (high - low or 1.0)
    grid = np.array([low - pad, high + pad])
    ax.plot(grid, grid, color="0.5", lw=0.8, linestyle=":")
    ax.plot(grid, grid + coords.estimate, color="black", lw=1, linestyle="--")
    ax.scatter(coords.control, coords.treatment, facecolor="0.6", edgecolor="black", s=28, zorder=3)
    ax.set_xlim(*grid)
    ax.set_ylim(*grid)
    scale = _LABBE_AXES.get(measure, "Outcome")
    ax.set_xlabel(f"{scale} in the control group")
    ax.set_ylabel(f"{scale} in the treatment group")
    if title:
        ax.set_title(title)
    return fig


def gosh_plot(coords: Gosh, *, measure: str, title: str | None = None) -> Figure:
    """GOSH plot (``metafor::gosh``): the pooled estimate against I\u00b2 for each subset
    of studies, one translucent dot per subset."""
    fig = Figure(figsize=(6.4, 5), layout="constrained")
    ax = fig.add_subplot()
    shown = np.isfinite(coords.estimate) & np.isfinite(coords.i2)
    ratio = measure in RATIO
    est = coords.estimate[shown]
    ax.scatter(
        np.exp(est) if ratio else est, coords.i2[shown], color="black", s=6, alpha=0.25, lw=0
    )
    if ratio:
        ax.set_xscale("log")
        # ratios read as ratios (0.3, 0.5), not as powers of ten
        plain = FuncFormatter(lambda value, _: f"{value:.3g}")
        ax.xaxis.set_major_formatter(plain)
        ax.xaxis.set_minor_formatter(plain)
        ax.tick_params(axis="x", which="minor", labelsize=7)
    label = _AXIS_LABELS.get(measure, measure)
    ax.set_xlabel(f"Pooled {label.lower()} of the subset" + (" (log scale)" if ratio else ""))
    ax.set_ylabel("I\u00b2 of the subset (%)")
    ax.set_ylim(-2, 102)
    n = int(shown.sum())
    ax.text(
        0.99,
        0.98,
        f"{n} subsets" + ("" if coords.complete else " (random sample)"),
        transform=ax.transAxes,
        ha="right",
        va="top",
        fontsize=8,
        color="0.3",
    )
    if title:
        ax.set_title(title)
    return fig


# ---------------------------------------------------------------------------
# rendering


def _save(fig: Figure, fmt: str, **kwargs: Any) -> bytes:
    buffer = io.BytesIO()
    # text stays <text> in SVG (selectable, accessible); the salt makes element ids stable
    with matplotlib.rc_context({"svg.hashsalt": _SVG_SALT, "svg.fonttype": "none"}):
        fig.savefig(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def to_svg(fig: Figure) -> str:
    """Deterministic SVG text."""
    return _save(fig, "svg", metadata={"Date": None}).decode("utf-8")


def to_png(fig: Figure, *, dpi: int = 150) -> bytes:
    return _save(fig, "png", dpi=dpi, metadata={"Software": None})


def to_pdf(fig: Figure) -> bytes:
    return _save(fig, "pdf", metadata={"CreationDate": None, "ModDate": None, "Producer": None})


def render(fig: Figure, fmt: str) -> str | bytes:
    """``"svg"`` -> str; ``"png"``/``"pdf"`` -> bytes."""
    fmt = fmt.lower()
    if fmt == "svg":
        return to_svg(fig)
    if fmt == "png":
        return to_png(fig)
    if fmt == "pdf":
        return to_pdf(fig)
    raise ValueError(f"unknown format {fmt!r}; expected svg, png or pdf")
