"""Three-level meta-analysis: several effects per study, with a study-level random effect.

The model is metafor's ``rma.mv(yi, vi, mods, random = ~ 1 | study/es_id)`` fitted by
REML: each effect ``y_ij = x_ij' b + u_i + w_ij + e_ij`` with ``u_i ~ N(0, sigma2_study)``
shared by the effects of study ``i``, ``w_ij ~ N(0, sigma2_within)`` for each effect and
``e_ij ~ N(0, vi_ij)`` its known sampling error.  Effects of one study are treated as
having independent sampling errors (as ``vi`` alone implies); their dependence comes
from the shared study effect.

I^2 per level follows Cheung (2014) as in metafor's documentation: the typical
sampling variance is ``(k - p) / tr(P)`` with ``P`` the fixed-effect projection
``W - W X (X'W X)^-1 X' W``, ``W = diag(1/vi)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from ._rma_mv import fit_reml
from .errors import AnalysisInputError
from .pooling._common import normalise_level, z_crit


@dataclass(frozen=True)
class Coefficient:
    name: str
    estimate: float
    se: float
    statistic: float
    pvalue: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class MultilevelResult:
    """REML fit; ``coefficients[0]`` is the intercept (the pooled effect without moderators)."""

    level: float
    n_studies: int
    n_effects: int
    coefficients: tuple[Coefficient, ...]
    sigma2_study: float
    sigma2_within: float
    q: float
    q_df: int
    q_pvalue: float
    loglik: float
    i2_total: float
    i2_study: float
    i2_within: float
    pi_low: float | None
    pi_high: float | None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def estimate(self) -> float:
        return self.coefficients[0].estimate

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _codes(labels: Sequence[Any]) -> np.ndarray:
    index: dict[Any, int] = {}
    return np.array([index.setdefault(label, len(index)) for label in labels], dtype=int)


def multilevel_meta_analysis(
    yi: ArrayLike,
    vi: ArrayLike,
    study: Sequence[Any],
    *,
    mods: ArrayLike | None = None,
    mod_names: Sequence[str] | None = None,
    level: float = 0.95,
) -> MultilevelResult:
    """Fit ``rma.mv(yi, vi, mods = ~ mods, random = ~ 1 | study/es_id, method = "REML")``.

    ``mods`` is an optional ``(k, q)`` array of moderators (an intercept is added).
    """
    level = normalise_level(level)
    y = np.asarray(yi, dtype=float).ravel()
    v = np.asarray(vi, dtype=float).ravel()
    k = y.size
    if v.size != k or len(study) != k:
        raise AnalysisInputError(
            f"yi, vi and study must have the same length ({k}, {v.size}, {len(study)})",
            field="study",
        )
    if k == 0:
        raise AnalysisInputError("there are no effects to pool", field="yi")
    for i in range(k):
        if not np.isfinite(y[i]):
            raise AnalysisInputError(
                "the estimate is not a number", study=str(study[i]), field="yi"
            )
        if not (np.isfinite(v[i]) and v[i] > 0):
            raise AnalysisInputError(
                "the sampling variance must be a positive number", study=str(study[i]), field="vi"
            )
    columns = [np.ones(k)]
    names = ["intercept"]
    if mods is not None:
        m = np.asarray(mods, dtype=float).reshape(k, -1)
        if not np.all(np.isfinite(m)):
            raise AnalysisInputError("moderators must be finite numbers", field="mods")
        columns.extend(m.T)
        names.extend(mod_names or [f"mod{j + 1}" for j in range(m.shape[1])])
    X = np.column_stack(columns)
    groups = _codes(study)
    n_studies = int(groups.max()) + 1
    same_study = (groups[:, None] == groups[None, :]).astype(float)
    fit = fit_reml(y, np.diag(v), X, [same_study, np.eye(k)])

    crit = z_crit(level)
    se = np.sqrt(np.diag(fit.cov))
    z = fit.beta / se
    coefficients = tuple(
        Coefficient(
            name=names[j],
            estimate=float(fit.beta[j]),
            se=float(se[j]),
            statistic=float(z[j]),
            pvalue=float(2 * stats.norm.sf(abs(z[j]))),
            ci_low=float(fit.beta[j] - crit * se[j]),
            ci_high=float(fit.beta[j] + crit * se[j]),
        )
        for j in range(X.shape[1])
    )
    w = 1.0 / v
    wx = X * w[:, None]
    P = np.diag(w) - wx @ np.linalg.solve(X.T @ wx, wx.T)
    typical = (k - X.shape[1]) / float(np.trace(P))
    s_study, s_within = (float(x) for x in fit.sigma2)
    total = s_study + s_within + typical
    pi_low = pi_high = None
    if mods is None:
        half = crit * float(np.sqrt(fit.cov[0, 0] + s_study + s_within))
        pi_low, pi_high = float(fit.beta[0] - half), float(fit.beta[0] + half)
    return MultilevelResult(
        level=level,
        n_studies=n_studies,
        n_effects=k,
        coefficients=coefficients,
        sigma2_study=s_study,
        sigma2_within=s_within,
        q=fit.q,
        q_df=fit.q_df,
        q_pvalue=fit.q_pvalue,
        loglik=fit.loglik,
        i2_total=100 * (s_study + s_within) / total,
        i2_study=100 * s_study / total,
        i2_within=100 * s_within / total,
        pi_low=pi_low,
        pi_high=pi_high,
        options={"method": "REML", "random": "~ 1 | study/es_id"},
    )


def _shown(value: float | None, ratio: bool) -> str:
    if value is None:
        return "–"
    return f"{np.exp(value) if ratio else value:.2f}"


def in_plain_words(result: MultilevelResult, measure_label: str, ratio: bool) -> dict[str, str]:
    """What each number of a model without moderators says, for people who do not read
    variance components: the pooled effect, the spread between studies and within them,
    each level's share of the variation, and where a new study's effect would lie."""
    pct = f"{result.level * 100:g}%"
    c = result.coefficients[0]
    no_effect = 0.0
    clear = not (c.ci_low <= no_effect <= c.ci_high)
    studies = f"{result.n_studies} stud{'y' if result.n_studies == 1 else 'ies'}"
    words = {
        "estimate": (
            f"Pooling {result.n_effects} effects from {studies}, where the effects of one "
            f"study are not counted as independent studies: {measure_label.lower()} "
            f"{_shown(c.estimate, ratio)} ({pct} confidence interval "
            f"{_shown(c.ci_low, ratio)} to {_shown(c.ci_high, ratio)}); "
            + (
                "the data clearly show an effect."
                if clear
                else "the data cannot tell it apart from no effect."
            )
        ),
        "between": (
            "How much the studies' true effects differ from one study to another: variance "
            f"{result.sigma2_study:.4f} (standard deviation "
            f"{np.sqrt(result.sigma2_study):.3f}{' on the log scale' if ratio else ''})."
        ),
        "within": (
            "How much the true effects reported by one study differ from one another: "
            f"variance {result.sigma2_within:.4f} (standard deviation "
            f"{np.sqrt(result.sigma2_within):.3f}{' on the log scale' if ratio else ''})."
        ),
        "shares": (
            f"Of all the variation among the effects, {result.i2_study:.0f}% comes from "
            f"differences between studies, {result.i2_within:.0f}% from differences between "
            f"the effects within a study, and the remaining {100 - result.i2_total:.0f}% is "
            "what chance in sampling alone would give."
        ),
    }
    if result.pi_low is not None:
        words["prediction"] = (
            f"The true effect in a new study like these would lie between "
            f"{_shown(result.pi_low, ratio)} and {_shown(result.pi_high, ratio)} "
            f"({pct} prediction interval)."
        )
    return words
