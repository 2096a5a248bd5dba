"""Pieces every pooling method shares: the confidence level, per-study rows, the 2x2
tables of MH and Peto and the fixed-effect result they both report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._distributions import norm_isf, norm_sf
from ..effect_sizes import binary_effect_sizes
from ..errors import AnalysisInputError
from ..results import MetaAnalysisResult, StudyTable


def normalise_level(level: float) -> float:
    """Confidence level as a fraction; values above 1 are read as percent (like metafor)."""
    level = float(level)
    if level > 1:
        level /= 100
    if not 0 < level < 1:
        raise AnalysisInputError(
            f"confidence level must be in (0, 1) or (1, 100), got {level:g}", field="level"
        )
    return level


TESTS = ("z", "t", "knha")


def resolve_test(hk: bool, test: str | None) -> str:
    """metafor's ``test`` from the older ``hk`` flag and an optional ``test``: ``hk=True``
    is ``test="knha"``; asking for both Hartung-Knapp and another test is an error."""
    chosen = (test or ("knha" if hk else "z")).lower()
    if chosen not in TESTS:
        raise AnalysisInputError(
            f"unknown test {test!r}; expected one of {', '.join(TESTS)}", field="test"
        )
    if hk and chosen != "knha":
        raise AnalysisInputError(
            f"the Hartung-Knapp adjustment is test 'knha', not {chosen!r}; choose one",
            field="test",
        )
    return chosen


def z_crit(level: float) -> float:
    return float(norm_isf((1 - level) / 2))


def study_rows(
    labels: Sequence[str],
    yi: np.ndarray,
    vi: np.ndarray,
    weights: np.ndarray,
    included: np.ndarray,
    level: float,
    data: Mapping[str, np.ndarray] | None = None,
) -> StudyTable:
    half = z_crit(level) * np.sqrt(vi)
    return StudyTable(
        labels=tuple(map(str, labels)),
        yi=np.asarray(yi, float),
        vi=np.asarray(vi, float),
        ci_low=yi - half,
        ci_high=yi + half,
        weight=np.asarray(weights, float),
        included=np.asarray(included, bool),
        data={} if data is None else {n: np.asarray(a, float) for n, a in data.items()},
    )


def binary_tables(
    ai: ArrayLike, n1i: ArrayLike, ci: ArrayLike, n2i: ArrayLike, labels: Sequence[Any] | None
) -> tuple[dict[str, np.ndarray], list[str]]:
    # validation (names, negative counts, empty arms) is shared with escalc
    es = binary_effect_sizes(ai, n1i, ci, n2i, "RD", labels=labels)
    assert es.counts is not None  # binary effect sizes always keep their tables
    return es.counts, list(es.labels)


def fixed_effect_result(
    *,
    measure: str,
    method: str,
    level: float,
    k: int,
    beta: float,
    se: float,
    z: float,
    heterogeneity: tuple[float, float, float, float, int],
    **rest: Any,
) -> MetaAnalysisResult:
    """The z-test result that rma.mh and rma.peto share: no tau^2, no prediction interval."""
    q, q_p, i2, h2, q_df = heterogeneity
    crit = z_crit(level)
    return MetaAnalysisResult(
        measure=measure,
        method=method,
        test="z",
        level=level,
        k=k,
        estimate=beta,
        se=se,
        statistic=float(z),
        pvalue=float(2 * norm_sf(abs(z))),
        ci_low=beta - crit * se,
        ci_high=beta + crit * se,
        df=None,
        tau2=0.0,
        i2=i2,
        h2=h2,
        q=q,
        q_df=q_df,
        q_pvalue=q_p,
        pi_low=None,
        pi_high=None,
        **rest,
    )
