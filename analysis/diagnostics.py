"""Coordinates of metafor's diagnostic plots: ``baujat``, ``radial``, ``labbe`` and ``gosh``.

Each function returns the numbers a plot draws, so :mod:`analysis.plots` only draws
and the numbers can be checked against metafor (tests/analysis/reference/diagnostics.R).
The re-fits (leave-one-out for Baujat, subsets for GOSH) use the same model as the
analysis, as one batch where :mod:`analysis.batch` covers it and one by one otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .batch import fit_subsets
from .errors import AnalysisInputError, ConvergenceError
from .pooling import meta_analysis, resolve_test
from .provenance import json_object
from .results import MetaAnalysisResult

#: Subsets a GOSH plot fits at most: all of them when 2^k - 1 is no more (up to 10
#: studies), else a seeded random sample of this many.
GOSH_MAX_SUBSETS = 1023
#: The arm-level scale of a L'Abbé plot for each measure (metafor's escalc measures).
LABBE_SCALES = {"RR": "PLN", "OR": "PLO", "RD": "PR", "AS": "PAS"}


@dataclass(frozen=True)
class Baujat:
    """x: each study's contribution to Q; y: its influence on the pooled estimate."""

    x: np.ndarray
    y: np.ndarray


@dataclass(frozen=True)
class Radial:
    """Galbraith plot: x = 1/sqrt(v + tau^2), z = y/sqrt(v + tau^2); the pooled
    estimate is the slope of the line through the origin."""

    x: np.ndarray
    z: np.ndarray
    slope: float
    tau2: float


@dataclass(frozen=True)
class Labbe:
    """Each study's outcome in the control arm (x) and the treatment arm (y), on the
    measure's arm-level scale; the pooled estimate is the offset of the line y = x + b
    (on the linear scale of the measure)."""

    control: np.ndarray
    treatment: np.ndarray
    estimate: float
    #: which of the studies given have a point (an arm's outcome can be undefined)
    kept: np.ndarray | None = None


@dataclass(frozen=True)
class Gosh:
    """One row per subset of studies: its mask, and the fit's estimate, I^2 (percent),
    Q and tau^2 (NaN where the fit did not converge). ``complete`` says whether every
    subset was taken."""

    masks: np.ndarray
    estimate: np.ndarray
    i2: np.ndarray
    q: np.ndarray
    tau2: np.ndarray
    complete: bool


def _arrays(yi: ArrayLike, vi: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    if y.ndim != 1 or y.shape != v.shape:
        raise AnalysisInputError("yi and vi must be equal-length lists", field="yi")
    if not (np.isfinite(y).all() and np.isfinite(v).all() and (v > 0).all()):
        raise AnalysisInputError(
            "every study needs a finite estimate and a positive variance", field="vi"
        )
    return y, v


def _fit(
    y: np.ndarray,
    v: np.ndarray,
    masks: np.ndarray,
    method: str,
    test: str,
    level: float,
    control: Mapping[str, Any] | None,
) -> dict[str, np.ndarray]:
    """Fit the model on every row of ``masks``: a batch, then the rest one by one."""
    columns, fitted = fit_subsets(
        y,
        v,
        lambda lo, hi: masks[lo:hi],
        len(masks),
        method,
        level=level,
        control=control,
        test=test,
    )
    for i in np.flatnonzero(~fitted).tolist():
        m = masks[i]
        if m.sum() == 1:
            # one study: the fit is the study itself (metafor's k = 1 fit)
            columns["estimate"][i] = float(y[m][0])
            columns["se"][i] = math.sqrt(float(v[m][0]))
            for name in ("q", "tau2", "i2"):
                columns[name][i] = 0.0
            continue
        try:
            result = meta_analysis(
                y[m], v[m], method=method, level=level, control=control, test=test
            )
        except ConvergenceError:
            # metafor leaves such a subset out (NA) too; the plot skips it
            continue
        for name in ("estimate", "se", "q", "tau2", "i2"):
            columns[name][i] = getattr(result, name)
    return columns


def baujat(
    yi: ArrayLike,
    vi: ArrayLike,
    *,
    estimate: float,
    tau2: float,
    method: str = "REML",
    hk: bool = False,
    level: float = 0.95,
    control: Mapping[str, Any] | None = None,
    test: str | None = None,
) -> Baujat:
    """Baujat et al. (2002) coordinates as ``metafor::baujat``: x is the squared Pearson
    residual (y_i - mu)^2 / (v_i + tau^2), y is (mu_(-i) - mu)^2 / var(mu_(-i)) with
    the model re-fitted without study i."""
    y, v = _arrays(yi, vi)
    k = len(y)
    if k < 2:
        raise AnalysisInputError("a Baujat plot needs at least 2 studies", field="k")
    masks = ~np.eye(k, dtype=bool)
    cols = _fit(y, v, masks, method, resolve_test(hk, test), level, control)
    x = (y - estimate) ** 2 / (tau2 + v)
    with np.errstate(divide="ignore", invalid="ignore"):
        influence = (cols["estimate"] - estimate) ** 2 / cols["se"] ** 2
    return Baujat(x=x, y=influence)


def radial(yi: ArrayLike, vi: ArrayLike, *, estimate: float, tau2: float) -> Radial:
    """Galbraith (1988) coordinates as ``metafor::radial`` for a model without moderators."""
    y, v = _arrays(yi, vi)
    scale = np.sqrt(v + tau2)
    return Radial(x=1.0 / scale, z=y / scale, slope=float(estimate), tau2=float(tau2))


def _arm_outcome(events: np.ndarray, others: np.ndarray, scale: str, add: float) -> np.ndarray:
    # escalc's to = "only0": add to both cells of an arm that has a zero cell (but not
    # for the arcsine root, which is finite at 0 and 1 and which escalc leaves alone)
    zero = ((events == 0) | (others == 0)) & (scale != "PAS")
    x = np.where(zero, events + add, events)
    m = np.where(zero, others + add, others)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / (x + m)
        if scale == "PLN":
            p = np.log(p)
        elif scale == "PLO":
            p = np.log(x / m)
        elif scale == "PAS":
            p = np.arcsin(np.sqrt(p))
    return np.asarray(p, dtype=float)


def labbe(
    ai: ArrayLike,
    bi: ArrayLike,
    ci: ArrayLike,
    di: ArrayLike,
    *,
    measure: str,
    estimate: float,
    add: float = 0.5,
) -> Labbe:
    """L'Abbé et al. (1987) coordinates as ``metafor::labbe``: each arm's event risk on
    the measure's scale (log risk, log odds, risk, arcsine root risk), treatment arm
    ``ai``/``bi`` (events / non-events) against control arm ``ci``/``di``."""
    scale = LABBE_SCALES.get(measure.upper())
    if scale is None:
        raise AnalysisInputError(
            f"a L'Abbé plot needs a binary measure ({', '.join(LABBE_SCALES)}), not {measure}",
            field="measure",
        )
    cells = [np.asarray(c, dtype=float) for c in (ai, bi, ci, di)]
    if len({c.shape for c in cells}) != 1 or cells[0].ndim != 1:
        raise AnalysisInputError("ai, bi, ci and di must be equal-length lists", field="ai")
    if not all((np.isfinite(c) & (c >= 0)).all() for c in cells):
        raise AnalysisInputError("2x2 cells must be non-negative counts", field="ai")
    treatment = _arm_outcome(cells[0], cells[1], scale, add)
    control = _arm_outcome(cells[2], cells[3], scale, add)
    keep = np.isfinite(treatment) & np.isfinite(control)
    return Labbe(
        control=control[keep], treatment=treatment[keep], estimate=float(estimate), kept=keep
    )


def gosh_masks(k: int, max_subsets: int = GOSH_MAX_SUBSETS, seed: int = 0) -> np.ndarray:
    """Every non-empty subset of ``k`` studies (by size, then in order, as metafor) when
    there are at most ``max_subsets``; else ``max_subsets`` distinct subsets drawn with
    ``seed``, each study in or out with even chance."""
    if k < 1:
        raise AnalysisInputError("a GOSH plot needs at least one study", field="k")
    if k < 63 and 2**k - 1 <= max_subsets:
        rows = [
            np.isin(np.arange(k), chosen)
            for size in range(1, k + 1)
            for chosen in combinations(range(k), size)
        ]
        return np.array(rows, dtype=bool)
    rng = np.random.default_rng(seed)
    seen: set[bytes] = set()
    out: list[np.ndarray] = []
    while len(out) < max_subsets:
        row = rng.random(k) < 0.5
        key = np.packbits(row).tobytes()
        if row.any() and key not in seen:
            seen.add(key)
            out.append(row)
    return np.array(out, dtype=bool)


def gosh(
    yi: ArrayLike,
    vi: ArrayLike,
    *,
    method: str = "REML",
    hk: bool = False,
    level: float = 0.95,
    control: Mapping[str, Any] | None = None,
    test: str | None = None,
    max_subsets: int = GOSH_MAX_SUBSETS,
    seed: int = 0,
) -> Gosh:
    """Olkin, Dahabreh and Trikalinos (2012) GOSH values as ``metafor::gosh``: the model
    re-fitted on subsets of the studies (see :func:`gosh_masks`)."""
    y, v = _arrays(yi, vi)
    if max_subsets < 1:
        raise AnalysisInputError("max_subsets must be at least 1", field="max_subsets")
    masks = gosh_masks(len(y), max_subsets, seed)
    cols = _fit(y, v, masks, method, resolve_test(hk, test), level, control)
    complete = len(masks) == 2 ** len(y) - 1
    return Gosh(
        masks=masks,
        estimate=cols["estimate"],
        i2=cols["i2"],
        q=cols["q"],
        tau2=cols["tau2"],
        complete=complete,
    )


#: The diagnostic plots, by the name the portal serves them under.
PLOTS = ("baujat", "radial", "labbe", "gosh")


def of_result(result: MetaAnalysisResult, plot: str) -> Baujat | Radial | Labbe | Gosh:
    """The coordinates of ``plot`` for a pooled analysis, re-fitting with its own model
    (method, test, level, control) on the studies it included. Raises
    :class:`AnalysisInputError` when the analysis cannot have that plot."""
    table = result.study_table
    keep = np.asarray(table.included, dtype=bool)
    y, v = table.yi[keep], table.vi[keep]
    if plot == "radial":
        return radial(y, v, estimate=result.estimate, tau2=result.tau2)
    if plot == "labbe":
        cells = [table.data.get(name) for name in ("ai", "bi", "ci", "di")]
        if any(c is None for c in cells):
            raise AnalysisInputError("a L'Abbé plot needs each study's 2x2 table", field="measure")
        return labbe(
            *(np.asarray(c)[keep] for c in cells),
            measure=result.measure,
            estimate=result.estimate,
        )
    if plot not in PLOTS:
        raise AnalysisInputError(f"unknown diagnostic plot {plot!r}", field="plot")
    if result.method in ("MH", "PETO"):
        raise AnalysisInputError(
            f"a {plot} plot re-fits an inverse-variance model; this analysis used {result.method}",
            field="method",
        )
    method, level, test = result.method, result.level, result.test
    control = result.options.get("control")
    if plot == "baujat":
        return baujat(
            y,
            v,
            estimate=result.estimate,
            tau2=result.tau2,
            method=method,
            level=level,
            control=control,
            test=test,
        )
    return gosh(y, v, method=method, level=level, control=control, test=test)


#: Every GOSH subset is listed in the downloads up to this many; beyond, the subsets are
#: summarised (quantiles, and each study's subsets with and without it).
GOSH_LISTED_SUBSETS = 127
_QUANTILES = {"min": 0.0, "q05": 0.05, "q25": 0.25, "median": 0.5, "q75": 0.75, "q95": 0.95}
_QUANTILES["max"] = 1.0


def _spread(values: np.ndarray) -> dict[str, float | None]:
    finite = values[np.isfinite(values)]
    if not len(finite):
        return dict.fromkeys(_QUANTILES)
    return {name: float(np.quantile(finite, q)) for name, q in _QUANTILES.items()}


def _mean(values: np.ndarray) -> float | None:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if len(finite) else None


def coordinates_dict(
    coords: Baujat | Radial | Labbe | Gosh, labels: tuple[str, ...]
) -> dict[str, Any]:
    """The numbers of a diagnostic plot for the downloads and the API, one row per study
    (``labels`` are the studies the plot was computed from); GOSH's subsets are listed
    when there are few and summarised otherwise."""
    if isinstance(coords, Baujat):
        rows = [
            {"study": s, "x": x, "y": y} for s, x, y in zip(labels, coords.x, coords.y, strict=True)
        ]
        return json_object(
            {"x": "contribution to Q", "y": "influence on the result", "studies": rows}
        )
    if isinstance(coords, Radial):
        rows = [
            {"study": s, "x": x, "z": z} for s, x, z in zip(labels, coords.x, coords.z, strict=True)
        ]
        return json_object({"slope": coords.slope, "tau2": coords.tau2, "studies": rows})
    if isinstance(coords, Labbe):
        kept = np.ones(len(labels), dtype=bool) if coords.kept is None else coords.kept
        shown = [s for s, k in zip(labels, kept, strict=True) if k]
        rows = [
            {"study": s, "control": c, "treatment": t}
            for s, c, t in zip(shown, coords.control, coords.treatment, strict=True)
        ]
        return json_object({"estimate": coords.estimate, "studies": rows})
    stats = {"estimate": coords.estimate, "i2": coords.i2, "q": coords.q, "tau2": coords.tau2}
    out: dict[str, Any] = {
        "subsets": len(coords.masks),
        "complete": coords.complete,
        "fitted": int(np.isfinite(coords.estimate).sum()),
        "spread": {name: _spread(values) for name, values in stats.items()},
        "studies": [
            {
                "study": s,
                "subsets_with": int(coords.masks[:, i].sum()),
                "estimate_with": _mean(coords.estimate[coords.masks[:, i]]),
                "estimate_without": _mean(coords.estimate[~coords.masks[:, i]]),
                "i2_with": _mean(coords.i2[coords.masks[:, i]]),
                "i2_without": _mean(coords.i2[~coords.masks[:, i]]),
            }
            for i, s in enumerate(labels)
        ],
        "subset_rows": None,
    }
    if len(coords.masks) <= GOSH_LISTED_SUBSETS:
        out["subset_rows"] = [
            {
                "studies": [s for s, inside in zip(labels, mask, strict=True) if inside],
                **{name: values[j] for name, values in stats.items()},
            }
            for j, mask in enumerate(coords.masks)
        ]
    return json_object(out)


_NAMES = {"baujat": "Baujat", "radial": "radial", "labbe": "L'Abbé", "gosh": "GOSH"}


def all_coordinates(result: MetaAnalysisResult) -> dict[str, Any]:
    """Every diagnostic plot's numbers for a pooled analysis, each saying in words why
    where the analysis cannot have it."""
    table = result.study_table
    labels = tuple(
        s
        for s, kept in zip(table.labels, np.asarray(table.included, dtype=bool), strict=True)
        if kept
    )
    out: dict[str, Any] = {}
    for plot in PLOTS:
        if len(labels) < 2:
            out[plot] = {"unavailable": f"A {_NAMES[plot]} plot needs at least 2 studies."}
            continue
        try:
            out[plot] = coordinates_dict(of_result(result, plot), labels)
        except AnalysisInputError as error:
            out[plot] = {"unavailable": error.reason}
        except ConvergenceError as error:
            out[plot] = {"unavailable": str(error)}
    return out
