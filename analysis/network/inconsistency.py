"""Inconsistency checks under random effects: node-splitting and the design-by-treatment
interaction model.

Node-splitting (Dias et al. 2010): for a pair of treatments compared head to head, the
consistency model gets one more coefficient ``w`` that shifts the first treatment's arm in
the studies holding both, so those studies' comparison no longer has to agree with the
rest of the network.  Then ``d_first - d_second`` is the indirect estimate, ``+ w`` the
direct one and ``w`` their difference, all from one fit with its own ``tau2``; this is
``rma.mv`` with an added indicator column.  In a multi-arm study the choice of arm to
shift matters: when the first treatment only ever appears beside the second (so its
coefficient would have no data left) the second's arm is shifted instead.

The design-by-treatment interaction model (Higgins et al. 2012) gives every design's
contrasts means of their own; the Wald statistic is the distance, in their covariance,
from those means to the nearest set that a consistent network could produce.  The
likelihood-ratio test compares the two models fitted by maximum likelihood (REML
likelihoods of models with different coefficients cannot be compared):
``2 (logLik_interaction - logLik_consistency)``, on as many degrees of freedom as the Wald
test, which is metafor's ``anova(consistency, interaction)`` of ``rma.mv(method = "ML")``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from .._distributions import chi2_sf, norm_sf
from .._rma_mv import fit_ml, fit_reml, fixed_effect
from ..errors import AnalysisInputError, ConvergenceError
from ..pooling._common import z_crit
from .contrasts import ContrastData

#: Any failure of a fit that leaves a check "not estimable" rather than the whole run failed.
_FIT_FAILURES = (AnalysisInputError, ConvergenceError, np.linalg.LinAlgError, ValueError)


@dataclass(frozen=True)
class NodeSplit:
    """Direct and indirect estimates of ``first - second`` from the node-split model.

    When the split cannot be estimated (no indirect evidence, or too few studies), every
    number is None and ``note`` says why."""

    first: str
    second: str
    n_studies: int
    #: the treatment whose arm the split coefficient shifts, None when not estimable
    shifted: str | None
    direct: float | None
    direct_se: float | None
    indirect: float | None
    indirect_se: float | None
    difference: float | None
    difference_se: float | None
    ci_low: float | None
    ci_high: float | None
    pvalue: float | None
    tau2: float | None
    note: str = ""

    @property
    def estimable(self) -> bool:
        return self.difference is not None


@dataclass(frozen=True)
class DesignByTreatment:
    """Wald and likelihood-ratio tests of the design-by-treatment interaction under random
    effects, and the between-study variance under the consistency and the interaction model.

    The likelihood-ratio fields are None in results stored before the test existed, and
    when the maximum-likelihood fits fail (``lrt_note`` says why) while the Wald test
    stands."""

    tau2_consistency: float
    tau2_interaction: float | None
    n_parameters: int
    wald: float | None
    df: int
    pvalue: float | None
    note: str = ""
    #: 2 (logLik_interaction - logLik_consistency) of the ML fits, on ``df`` degrees of freedom
    lrt: float | None = None
    lrt_pvalue: float | None = None
    loglik_consistency_ml: float | None = None
    loglik_interaction_ml: float | None = None
    tau2_consistency_ml: float | None = None
    tau2_interaction_ml: float | None = None
    lrt_note: str = ""


def _basic(t: str, columns: Sequence[str]) -> np.ndarray:
    out = np.zeros(len(columns))
    if t in columns:
        out[list(columns).index(t)] = 1.0
    return out


def _shift_column(data: ContrastData, studies: set[str], treatment: str) -> np.ndarray:
    return np.array(
        [
            float(c.treatment == treatment) - float(c.baseline == treatment)
            if c.study in studies
            else 0.0
            for c in data.contrasts
        ]
    )


def _identified(X: np.ndarray) -> bool:
    n, p = X.shape
    return bool(n > p and int(np.linalg.matrix_rank(X)) == p)


def node_splits(
    data: ContrastData,
    X: np.ndarray,
    structure: np.ndarray,
    treatments: Sequence[str],
    reference: str,
    level: float,
) -> tuple[NodeSplit, ...]:
    """One node split for every pair of treatments that some study compares, in the
    order of ``treatments``."""
    columns = [t for t in treatments if t != reference]
    crit = z_crit(level)
    out = []
    for i, first in enumerate(treatments):
        for second in treatments[i + 1 :]:
            both = {s for s, design in data.designs.items() if first in design and second in design}
            if not both:
                continue
            out.append(
                _split(data, X, structure, columns, first, second, both, crit),
            )
    return tuple(out)


def _split(
    data: ContrastData,
    X: np.ndarray,
    structure: np.ndarray,
    columns: Sequence[str],
    first: str,
    second: str,
    both: set[str],
    crit: float,
) -> NodeSplit:
    def missing(note: str) -> NodeSplit:
        return NodeSplit(first, second, len(both), *(None,) * 11, note=note)

    shifted, XS = first, np.column_stack([X, _shift_column(data, both, first)])
    if not _identified(XS):
        shifted, XS = second, np.column_stack([X, -_shift_column(data, both, second)])
    if not _identified(XS):
        if int(np.linalg.matrix_rank(XS)) < XS.shape[1]:
            return missing(
                "no indirect evidence: every route between them runs through these studies"
            )
        return missing("too few studies to estimate the split model")
    try:
        fit = fit_reml(data.yi, data.V, XS, [structure])
    except _FIT_FAILURES as exc:
        return missing(f"the split model could not be fitted: {exc}")
    base = _basic(first, columns) - _basic(second, columns)
    x_ind = np.append(base, 0.0)
    x_dir = np.append(base, 1.0)
    beta, cov = fit.beta, fit.cov
    difference = float(beta[-1])
    difference_se = float(np.sqrt(max(cov[-1, -1], 0.0)))
    if not (np.isfinite(difference) and difference_se > 0):
        return missing("the split model gives no usable standard error")
    return NodeSplit(
        first=first,
        second=second,
        n_studies=len(both),
        shifted=shifted,
        direct=float(x_dir @ beta),
        direct_se=float(np.sqrt(max(x_dir @ cov @ x_dir, 0.0))),
        indirect=float(x_ind @ beta),
        indirect_se=float(np.sqrt(max(x_ind @ cov @ x_ind, 0.0))),
        difference=difference,
        difference_se=difference_se,
        ci_low=difference - crit * difference_se,
        ci_high=difference + crit * difference_se,
        pvalue=float(2 * norm_sf(abs(difference / difference_se))),
        tau2=float(fit.sigma2[0]),
    )


def interaction_design(
    data: ContrastData, X: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[tuple[tuple[str, ...], str]]]:
    """The interaction model's design ``D`` (one column per design and contrast, in order
    of first appearance), the consistency model's row ``Z`` for each column, and the
    columns' (design, treatment) labels."""
    cells: dict[tuple[tuple[str, ...], str], int] = {}
    rows = []
    for at, c in enumerate(data.contrasts):
        key = (data.designs[c.study], c.treatment)
        if key not in cells:
            cells[key] = len(cells)
            rows.append(at)
    D = np.zeros((len(data.contrasts), len(cells)))
    for at, c in enumerate(data.contrasts):
        D[at, cells[(data.designs[c.study], c.treatment)]] = 1.0
    return D, X[rows], list(cells)


def _with_likelihood_ratio(
    tested: DesignByTreatment,
    data: ContrastData,
    X: np.ndarray,
    D: np.ndarray,
    structure: np.ndarray,
) -> DesignByTreatment:
    try:
        consistency = fit_ml(data.yi, data.V, X, [structure])
        interaction = fit_ml(data.yi, data.V, D, [structure])
    except _FIT_FAILURES as exc:
        return replace(tested, lrt_note=f"the maximum-likelihood fits failed: {exc}")
    # the interaction model nests the consistency model, so a negative difference is the
    # rounding of two equal optima (metafor sets it to 0 too)
    lrt = max(2.0 * (interaction.loglik - consistency.loglik), 0.0)
    if not np.isfinite(lrt):
        return replace(tested, lrt_note="the maximum-likelihood fits give no usable likelihoods")
    return replace(
        tested,
        lrt=float(lrt),
        lrt_pvalue=float(chi2_sf(lrt, tested.df)),
        loglik_consistency_ml=consistency.loglik,
        loglik_interaction_ml=interaction.loglik,
        tau2_consistency_ml=float(consistency.sigma2[0]),
        tau2_interaction_ml=float(interaction.sigma2[0]),
    )


def design_by_treatment(
    data: ContrastData, X: np.ndarray, structure: np.ndarray, tau2_consistency: float
) -> DesignByTreatment:
    """The random-effects design-by-treatment interaction tests against the consistency
    model whose REML ``tau2`` is given."""
    D, Z, cells = interaction_design(data, X)
    df = len(cells) - int(np.linalg.matrix_rank(Z))

    def untested(note: str, tau2: float | None = None) -> DesignByTreatment:
        return DesignByTreatment(tau2_consistency, tau2, len(cells), None, df, None, note)

    if df == 0:
        return untested("no comparison is reached both directly and by another route")
    if D.shape[0] <= D.shape[1]:
        return untested(
            "every design has a single study, so the interaction model leaves nothing to "
            "estimate the between-study variance from"
        )
    try:
        full = fit_reml(data.yi, data.V, D, [structure])
        wald = fixed_effect(full.beta, full.cov, Z)
    except _FIT_FAILURES as exc:
        return untested(f"the interaction model could not be fitted: {exc}")
    if not np.isfinite(wald.q):
        return untested("the interaction model gives no usable test", float(full.sigma2[0]))
    tested = DesignByTreatment(
        tau2_consistency=tau2_consistency,
        tau2_interaction=float(full.sigma2[0]),
        n_parameters=len(cells),
        wald=float(wald.q),
        df=df,
        pvalue=float(chi2_sf(wald.q, df)),
    )
    return _with_likelihood_ratio(tested, data, X, D, structure)
