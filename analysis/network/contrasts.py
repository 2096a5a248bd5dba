"""Arm-level data to contrasts against each study's baseline arm, with their covariance.

Each arm gets an estimate on the analysis scale (log odds, log risk, risk, mean) and
its variance; a study's contrasts are ``theta_arm - theta_baseline``.  Contrasts of a
multi-arm study share the baseline arm, so their covariance is its variance: that is
the exact sampling covariance for these measures, as every arm is an independent
sample.  The baseline is the network's reference treatment when the study has it,
otherwise the study's first treatment in the network's order, so every study of one
design (set of treatments) uses the same baseline; the consistency model does not
depend on this choice.

With a zero (or all-events) arm, 0.5 is added to the events and non-events of every
arm of that study (metafor's ``escalc`` default, extended to all arms so the study's
contrasts stay consistent with one another).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import AnalysisInputError

BINARY_MEASURES = ("OR", "RR", "RD")
CONTINUOUS_MEASURES = ("MD",)
MEASURES = BINARY_MEASURES + CONTINUOUS_MEASURES


@dataclass(frozen=True)
class Arm:
    """One arm of one study: ``events``/``n`` for binary measures, ``mean``/``sd``/``n``
    for the mean difference."""

    study: str
    treatment: str
    n: float | None
    events: float | None = None
    mean: float | None = None
    sd: float | None = None


@dataclass(frozen=True)
class Contrast:
    """``treatment`` against ``baseline`` in one study."""

    study: str
    treatment: str
    baseline: str
    yi: float
    vi: float


@dataclass(frozen=True)
class ContrastData:
    """Contrasts in study order with their block-diagonal sampling covariance."""

    contrasts: tuple[Contrast, ...]
    V: np.ndarray
    #: each study's treatments, baseline first
    designs: dict[str, tuple[str, ...]]

    @property
    def yi(self) -> np.ndarray:
        return np.array([c.yi for c in self.contrasts])


def _arm_scale(arms: Sequence[Arm], measure: str, study: str) -> tuple[np.ndarray, np.ndarray]:
    if measure in BINARY_MEASURES:
        x = np.array([_number(a.events, "events", study) for a in arms])
        n = np.array([_number(a.n, "n", study) for a in arms])
        for a, xi, ni in zip(arms, x, n, strict=True):
            if not (ni > 0 and 0 <= xi <= ni):
                raise AnalysisInputError(
                    f"arm {a.treatment!r} needs 0 <= events <= n and n > 0 (got {xi:g} of {ni:g})",
                    study=study,
                    field="events",
                )
        if measure == "RD":
            p = x / n
            return p, p * (1 - p) / n
        add = 0.5 if np.any((x == 0) | (x == n)) else 0.0
        hits, misses = x + add, n - x + add
        if measure == "OR":
            return np.log(hits / misses), 1 / hits + 1 / misses
        return np.log(hits / (n + 2 * add)), 1 / hits - 1 / (n + 2 * add)
    mean = np.array([_number(a.mean, "mean", study) for a in arms])
    sd = np.array([_number(a.sd, "sd", study) for a in arms])
    n = np.array([_number(a.n, "n", study) for a in arms])
    if np.any(n <= 0) or np.any(sd < 0):
        raise AnalysisInputError("each arm needs n > 0 and sd >= 0", study=study, field="sd")
    return mean, sd**2 / n


def _number(value: Any, name: str, study: str) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise AnalysisInputError(
            f"{name} is missing or not a number", study=study, field=name
        ) from None
    if not np.isfinite(out):
        raise AnalysisInputError(f"{name} is not a finite number", study=study, field=name)
    return out


def contrasts_from_arms(
    arms: Sequence[Arm], measure: str, treatments: Sequence[str], reference: str
) -> ContrastData:
    """``treatments`` fixes the network's order (the baseline choice); ``reference`` is one
    of them."""
    if measure not in MEASURES:
        raise AnalysisInputError(
            f"unknown measure {measure!r}; expected one of {', '.join(MEASURES)}", field="measure"
        )
    order = {t: i for i, t in enumerate(treatments)}
    by_study: dict[str, list[Arm]] = {}
    for arm in arms:
        by_study.setdefault(arm.study, []).append(arm)
    contrasts: list[Contrast] = []
    blocks: list[np.ndarray] = []
    designs: dict[str, tuple[str, ...]] = {}
    for study, study_arms in by_study.items():
        names = [a.treatment for a in study_arms]
        if len(set(names)) != len(names):
            raise AnalysisInputError(
                "a treatment appears in more than one arm; combine those arms first",
                study=study,
                field="treatment",
            )
        if len(study_arms) < 2:
            raise AnalysisInputError(
                "a study needs at least two arms to compare treatments",
                study=study,
                field="treatment",
            )
        study_arms = sorted(
            study_arms, key=lambda a: (a.treatment != reference, order[a.treatment])
        )
        theta, var = _arm_scale(study_arms, measure, study)
        base = study_arms[0].treatment
        designs[study] = tuple(a.treatment for a in study_arms)
        for j in range(1, len(study_arms)):
            contrasts.append(
                Contrast(
                    study,
                    study_arms[j].treatment,
                    base,
                    float(theta[j] - theta[0]),
                    float(var[j] + var[0]),
                )
            )
        block = np.full((len(study_arms) - 1,) * 2, var[0]) + np.diag(var[1:])
        # one arm without variance is fine (its contrasts keep the other arm's); two are not
        if not (np.all(np.isfinite(block)) and np.linalg.eigvalsh(block).min() > 0):
            raise AnalysisInputError(
                "the contrasts have no sampling variance (for example two arms with all or no "
                "events under the risk difference, or zero standard deviations)",
                study=study,
                field="events" if measure in BINARY_MEASURES else "sd",
            )
        blocks.append(block)
    V = _block_diag(blocks)
    return ContrastData(tuple(contrasts), V, designs)


def contrasts_from_estimates(
    rows: Sequence[Contrast], treatments: Sequence[str], reference: str
) -> ContrastData:
    """Two-arm studies given as one contrast each (``yi`` of treatment against baseline),
    turned round where needed so that each study's baseline follows the rule above."""
    order = {t: i for i, t in enumerate(treatments)}
    seen: dict[str, Contrast] = {}
    turned = []
    for row in rows:
        if row.study in seen:
            raise AnalysisInputError(
                "a study with several contrasts needs arm-level data (its contrasts share an arm)",
                study=row.study,
                field="treatment",
            )
        if row.treatment == row.baseline:
            raise AnalysisInputError(
                "a contrast compares a treatment with itself", study=row.study, field="treatment"
            )
        if not np.isfinite(row.yi):
            raise AnalysisInputError("the estimate is not a number", study=row.study, field="yi")
        if not (np.isfinite(row.vi) and row.vi > 0):
            raise AnalysisInputError(
                "the sampling variance must be a positive number", study=row.study, field="vi"
            )
        seen[row.study] = row
        key = (row.treatment != reference, order[row.treatment])
        if key < (row.baseline != reference, order[row.baseline]):
            row = Contrast(row.study, row.baseline, row.treatment, -row.yi, row.vi)
        turned.append(row)
    V = np.diag([r.vi for r in turned]) if turned else np.zeros((0, 0))
    designs: dict[str, tuple[str, ...]] = {r.study: (r.baseline, r.treatment) for r in turned}
    return ContrastData(tuple(turned), V, designs)


def _block_diag(blocks: Sequence[np.ndarray]) -> np.ndarray:
    size = sum(b.shape[0] for b in blocks)
    out = np.zeros((size, size))
    at = 0
    for b in blocks:
        m = b.shape[0]
        out[at : at + m, at : at + m] = b
        at += m
    return out
