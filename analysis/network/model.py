"""Network meta-analysis: the consistency model with one heterogeneity variance.

Each contrast ``y = theta_treatment - theta_baseline + delta + e`` is modelled with the
basic parameters ``d_t = theta_t - theta_reference`` (the reference's is 0), a random
effect ``delta`` of variance ``tau2`` whose contrasts within a multi-arm study correlate
by 1/2 (the usual homogeneous-variance assumption) and the known sampling covariance.
This is metafor's ``rma.mv(yi, V, mods = ~ <treatment columns> - 1,
random = ~ comp | study, rho = 1/2)`` fitted by REML, as in its network vignettes for
``dat.senn2013`` and ``dat.hasselblad1998``.

From the fit come every pairwise contrast (a league table), netmeta's P-scores,
direct against indirect evidence by back-calculation and the decomposition of the
fixed-effect Q into heterogeneity within designs and inconsistency between designs;
:mod:`.inconsistency` adds node-splitting and the random-effects design-by-treatment test.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .._distributions import chi2_sf, norm_sf
from .._rma_mv import fit_reml, fixed_effect
from ..errors import AnalysisInputError
from ..pooling._common import normalise_level, z_crit
from .contrasts import (
    BINARY_MEASURES,
    Arm,
    Contrast,
    ContrastData,
    contrasts_from_arms,
    contrasts_from_estimates,
)
from .inconsistency import DesignByTreatment, NodeSplit, design_by_treatment, node_splits

RATIO_MEASURES = ("OR", "RR")
SMALL_VALUES = ("good", "bad")


@dataclass(frozen=True)
class Estimate:
    """``first`` against ``second`` (``theta_first - theta_second``)."""

    first: str
    second: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    pvalue: float


@dataclass(frozen=True)
class Edge:
    """A pair of treatments compared head to head, and by how many studies."""

    first: str
    second: str
    n_studies: int


@dataclass(frozen=True)
class EvidenceSplit:
    """Direct, indirect (back-calculated) and network estimates of ``first - second``.

    ``indirect`` is None when the direct evidence is all there is (its variance is not
    larger than the network's, as when only one study or one multi-arm study links them).
    """

    first: str
    second: str
    n_studies: int
    direct: float
    direct_se: float
    indirect: float | None
    indirect_se: float | None
    network: float
    network_se: float
    proportion_direct: float
    difference: float | None
    difference_se: float | None
    pvalue: float | None


@dataclass(frozen=True)
class QTest:
    q: float
    df: int
    pvalue: float | None


@dataclass(frozen=True)
class Decomposition:
    """The fixed-effect Q of the consistency model split by design (netmeta's ``decomp.design``):
    ``between_designs`` is the design-by-treatment interaction test of inconsistency."""

    total: QTest
    within_designs: QTest
    between_designs: QTest


@dataclass(frozen=True)
class NetworkResult:
    measure: str
    level: float
    reference: str
    treatments: tuple[str, ...]
    small_values: str
    n_studies: int
    n_contrasts: int
    n_designs: int
    tau2: float
    loglik: float
    #: each treatment against the reference (the reference itself left out)
    effects: tuple[Estimate, ...]
    #: ``league[i][j]`` is treatments[i] against treatments[j]; None on the diagonal
    league: tuple[tuple[Estimate | None, ...], ...]
    pscores: dict[str, float]
    edges: tuple[Edge, ...]
    #: how many studies have an arm of each treatment
    treatment_studies: dict[str, int]
    splits: tuple[EvidenceSplit, ...]
    decomposition: Decomposition
    cov: np.ndarray = field(repr=False)
    options: dict[str, Any] = field(default_factory=dict)
    #: node-splitting of every pair some study compares (empty in results stored before it)
    nodesplits: tuple[NodeSplit, ...] = ()
    design_by_treatment: DesignByTreatment | None = None

    @property
    def is_ratio(self) -> bool:
        return self.measure in RATIO_MEASURES

    @property
    def ranking(self) -> tuple[str, ...]:
        """Treatments from the most to the least likely to be best, by P-score."""
        return tuple(sorted(self.treatments, key=lambda t: (-self.pscores[t], t)))

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["cov"] = self.cov.tolist()
        out["ranking"] = list(self.ranking)
        return out


def _treatment_order(names: Sequence[str], reference: str | None) -> tuple[list[str], str]:
    treatments = sorted(set(names))
    if len(treatments) < 2:
        raise AnalysisInputError("a network needs at least two treatments", field="treatment")
    if reference is None:
        reference = treatments[0]
    if reference not in treatments:
        raise AnalysisInputError(
            f"the reference treatment {reference!r} is in no study", field="reference"
        )
    return treatments, reference


def network_from_arms(
    arms: Sequence[Arm],
    measure: str,
    *,
    reference: str | None = None,
    small_values: str = "good",
    level: float = 0.95,
) -> NetworkResult:
    """Network meta-analysis of arm-level data (events and totals, or means, SDs and totals)."""
    treatments, reference = _treatment_order([a.treatment for a in arms], reference)
    data = contrasts_from_arms(arms, measure, treatments, reference)
    return _fit(data, measure, treatments, reference, small_values, level)


def network_from_contrasts(
    contrasts: Sequence[Contrast],
    *,
    measure: str = "GEN",
    reference: str | None = None,
    small_values: str = "good",
    level: float = 0.95,
) -> NetworkResult:
    """Network meta-analysis of two-arm studies given as estimates and sampling variances."""
    names = [c.treatment for c in contrasts] + [c.baseline for c in contrasts]
    treatments, reference = _treatment_order(names, reference)
    data = contrasts_from_estimates(contrasts, treatments, reference)
    return _fit(data, measure, treatments, reference, small_values, level)


def _check_connected(designs: dict[str, tuple[str, ...]], treatments: Sequence[str]) -> None:
    parent = {t: t for t in treatments}

    def root(t: str) -> str:
        while parent[t] != t:
            parent[t] = parent[parent[t]]
            t = parent[t]
        return t

    for design in designs.values():
        for t in design[1:]:
            parent[root(t)] = root(design[0])
    groups: dict[str, list[str]] = {}
    for t in treatments:
        groups.setdefault(root(t), []).append(t)
    if len(groups) > 1:
        parts = "; ".join(", ".join(g) for g in groups.values())
        raise AnalysisInputError(
            f"the network falls apart into {len(groups)} groups that no study links: {parts}",
            field="treatment",
        )


def _design_matrix(data: ContrastData, treatments: Sequence[str], reference: str) -> np.ndarray:
    columns = [t for t in treatments if t != reference]
    index = {t: j for j, t in enumerate(columns)}
    X = np.zeros((len(data.contrasts), len(columns)))
    for i, c in enumerate(data.contrasts):
        if c.treatment in index:
            X[i, index[c.treatment]] += 1.0
        if c.baseline in index:
            X[i, index[c.baseline]] -= 1.0
    return X


def _heterogeneity_structure(data: ContrastData) -> np.ndarray:
    studies = np.array([c.study for c in data.contrasts], dtype=object)
    same: np.ndarray = (studies[:, None] == studies[None, :]).astype(float)
    return np.asarray(0.5 * same + 0.5 * np.eye(len(studies)), dtype=float)


def _fit(
    data: ContrastData,
    measure: str,
    treatments: list[str],
    reference: str,
    small_values: str,
    level: float,
) -> NetworkResult:
    level = normalise_level(level)
    if small_values not in SMALL_VALUES:
        raise AnalysisInputError(
            f"small_values must be 'good' or 'bad', got {small_values!r}", field="small_values"
        )
    _check_connected(data.designs, treatments)
    X = _design_matrix(data, treatments, reference)
    y = data.yi
    structure = _heterogeneity_structure(data)
    fit = fit_reml(y, data.V, X, [structure])
    tau2 = float(fit.sigma2[0])

    # basic parameters with the reference's zero put back, and their covariance
    t = len(treatments)
    ref = treatments.index(reference)
    keep = [j for j in range(t) if j != ref]
    d = np.zeros(t)
    d[keep] = fit.beta
    cov = np.zeros((t, t))
    cov[np.ix_(keep, keep)] = fit.cov
    crit = z_crit(level)

    def pair(i: int, j: int) -> Estimate:
        est = float(d[i] - d[j])
        se = float(np.sqrt(max(cov[i, i] + cov[j, j] - 2 * cov[i, j], 0.0)))
        p = float(2 * norm_sf(abs(est / se))) if se > 0 else float("nan")
        return Estimate(treatments[i], treatments[j], est, se, est - crit * se, est + crit * se, p)

    league = tuple(tuple(None if i == j else pair(i, j) for j in range(t)) for i in range(t))
    effects = tuple(pair(i, ref) for i in keep)
    sign = -1.0 if small_values == "good" else 1.0
    pscores = {
        treatments[i]: float(
            np.mean(
                [
                    # Φ(x) as the upper tail at -x: the same ndtr(x), bit for bit
                    norm_sf(-sign * league[i][j].estimate / league[i][j].se)  # type: ignore[union-attr]
                    for j in range(t)
                    if j != i
                ]
            )
        )
        for i in range(t)
    }
    edges, splits = _evidence_splits(data, treatments, tau2, league)
    return NetworkResult(
        measure=measure,
        level=level,
        reference=reference,
        treatments=tuple(treatments),
        small_values=small_values,
        n_studies=len(data.designs),
        n_contrasts=len(data.contrasts),
        n_designs=len(set(data.designs.values())),
        tau2=tau2,
        loglik=fit.loglik,
        effects=effects,
        league=league,
        pscores=pscores,
        edges=edges,
        treatment_studies={
            name: sum(name in design for design in data.designs.values()) for name in treatments
        },
        splits=splits,
        decomposition=_decomposition(data, X),
        cov=cov,
        options={
            "method": "REML",
            "random": "~ comp | study, rho = 1/2",
            "zero_cell_correction": 0.5 if measure in BINARY_MEASURES else None,
        },
        nodesplits=node_splits(data, X, structure, treatments, reference, level),
        design_by_treatment=design_by_treatment(data, X, structure, tau2),
    )


def _study_pair_contrasts(
    data: ContrastData,
) -> dict[tuple[str, str], list[tuple[float, float]]]:
    """For every pair of treatments of every study, ``theta_first - theta_second`` and its
    sampling variance (from the study's contrasts against its baseline)."""
    out: dict[tuple[str, str], list[tuple[float, float]]] = {}
    at = 0
    for design in data.designs.values():
        m = len(design) - 1
        y = np.concatenate([[0.0], data.yi[at : at + m]])
        block = np.zeros((m + 1, m + 1))
        block[1:, 1:] = data.V[at : at + m, at : at + m]
        at += m
        for a in range(m + 1):
            for b in range(m + 1):
                if a != b:
                    var = block[a, a] + block[b, b] - 2 * block[a, b]
                    out.setdefault((design[a], design[b]), []).append((y[a] - y[b], var))
    return out


def _evidence_splits(
    data: ContrastData,
    treatments: Sequence[str],
    tau2: float,
    league: tuple[tuple[Estimate | None, ...], ...],
) -> tuple[tuple[Edge, ...], tuple[EvidenceSplit, ...]]:
    by_pair = _study_pair_contrasts(data)
    edges = []
    splits = []
    for i, first in enumerate(treatments):
        for j in range(i + 1, len(treatments)):
            second = treatments[j]
            rows = by_pair.get((first, second))
            if not rows:
                continue
            edges.append(Edge(first, second, len(rows)))
            yi = np.array([r[0] for r in rows])
            w = 1.0 / (np.array([r[1] for r in rows]) + tau2)
            direct = float(np.sum(w * yi) / np.sum(w))
            v_dir = float(1.0 / np.sum(w))
            net = league[i][j]
            assert net is not None
            v_net = net.se**2
            indirect = indirect_se = difference = difference_se = pvalue = None
            # back-calculation: network precision = direct precision + indirect precision
            w_ind = 1.0 / v_net - 1.0 / v_dir
            if w_ind > 1e-10 / v_net:
                v_ind = 1.0 / w_ind
                indirect = v_ind * (net.estimate / v_net - direct / v_dir)
                indirect_se = float(np.sqrt(v_ind))
                difference = direct - indirect
                difference_se = float(np.sqrt(v_dir + v_ind))
                pvalue = float(2 * norm_sf(abs(difference / difference_se)))
            splits.append(
                EvidenceSplit(
                    first=first,
                    second=second,
                    n_studies=len(rows),
                    direct=direct,
                    direct_se=float(np.sqrt(v_dir)),
                    indirect=indirect,
                    indirect_se=indirect_se,
                    network=net.estimate,
                    network_se=net.se,
                    proportion_direct=float(min(v_net / v_dir, 1.0)),
                    difference=difference,
                    difference_se=difference_se,
                    pvalue=pvalue,
                )
            )
    return tuple(edges), tuple(splits)


def _q_test(q: float, df: int) -> QTest:
    return QTest(float(q), int(df), float(chi2_sf(q, df)) if df > 0 else None)


def _decomposition(data: ContrastData, X: np.ndarray) -> Decomposition:
    total = fixed_effect(data.yi, data.V, X)
    by_design: dict[tuple[str, ...], list[tuple[np.ndarray, np.ndarray]]] = {}
    at = 0
    for design in data.designs.values():
        m = len(design) - 1
        block = (data.yi[at : at + m], data.V[at : at + m, at : at + m])
        by_design.setdefault(design, []).append(block)
        at += m
    q_within = 0.0
    df_within = 0
    for design, blocks in by_design.items():
        if len(blocks) < 2:
            continue
        m = len(design) - 1
        a = np.zeros((m, m))
        b = np.zeros(m)
        for y_s, v_s in blocks:
            w_s = np.linalg.inv(v_s)
            a += w_s
            b += w_s @ y_s
            q_within += float(y_s @ w_s @ y_s)
        q_within -= float(b @ np.linalg.solve(a, b))
        df_within += (len(blocks) - 1) * m
    q_between = max(total.q - q_within, 0.0)
    return Decomposition(
        total=_q_test(total.q, total.q_df),
        within_designs=_q_test(q_within, df_within),
        between_designs=_q_test(q_between, total.q_df - df_within),
    )
