"""Subgroup analysis with a test for subgroup differences.

Two tests are offered, both as documented for metafor:

* ``tau2="separate"`` (default; as RevMan and metafor's "comparing
  estimates of independent meta-analyses" recipe): each subgroup is pooled
  on its own (own tau^2), then ``Q_between = sum w_g (theta_g - theta_bar)^2``
  with ``w_g = 1/se_g^2`` and ``theta_bar`` their inverse-variance mean,
  referred to chi^2(G - 1).  This equals metafor's
  ``rma(estimate, sei=se, mods=~group, method="FE")`` omnibus QM.
* ``tau2="common"``: a mixed-effects meta-regression on subgroup indicators
  with one tau^2 (``rma(yi, vi, mods=~group)``); the omnibus QM test on
  G - 1 df (an F test under Hartung-Knapp).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from .effect_sizes import EffectSizes
from .errors import AnalysisInputError
from .pooling import IV_METHODS, meta_regression, pool
from .provenance import json_object, software_versions
from .results import MetaAnalysisResult


@dataclass(frozen=True, eq=False)
class SubgroupResult:
    groups: tuple[str, ...]
    results: tuple[MetaAnalysisResult, ...]
    overall: MetaAnalysisResult
    q_between: float
    df: int
    pvalue: float
    test: str
    tau2: str
    options: dict[str, Any] = field(default_factory=dict)
    software: dict[str, str] = field(default_factory=software_versions)

    def result(self, group: str) -> MetaAnalysisResult:
        return self.results[self.groups.index(group)]

    def to_dict(self) -> dict[str, Any]:
        return json_object(
            {
                "schema": "analysis.subgroups/1",
                "tau2": self.tau2,
                "test_for_subgroup_differences": {
                    "statistic": self.q_between,
                    "df": self.df,
                    "pvalue": self.pvalue,
                    "distribution": self.test,
                    "in_plain_words": (
                        "The subgroups' pooled results differ more than chance would make "
                        f"them (p = {self.pvalue:.4f})."
                        if self.pvalue < 0.05
                        else "The subgroups' pooled results do not differ more than chance "
                        f"would make them (p = {self.pvalue:.4f})."
                    ),
                },
                "subgroups": [
                    {"group": g, **r.to_dict()}
                    for g, r in zip(self.groups, self.results, strict=True)
                ],
                "overall": self.overall.to_dict(),
                "options": self.options,
                "software": self.software,
            }
        )


def subgroup_analysis(
    effects: EffectSizes,
    groups: Sequence[Any],
    method: str = "REML",
    *,
    hk: bool = False,
    level: float = 0.95,
    control: Mapping[str, Any] | None = None,
    tau2: str = "separate",
    test: str | None = None,
) -> SubgroupResult:
    """Pool within each subgroup and test whether the subgroup estimates differ."""
    if len(groups) != effects.k:
        raise AnalysisInputError(
            f"{len(groups)} group values for {effects.k} studies", field="groups"
        )
    for label, g in zip(effects.labels, groups, strict=True):
        if g is None or (isinstance(g, float) and np.isnan(g)):
            raise AnalysisInputError("missing subgroup value", study=label, field="groups")
    values = [str(g) for g in groups]
    names = tuple(dict.fromkeys(values))  # first-appearance order
    if len(names) < 2:
        raise AnalysisInputError("subgroup analysis needs at least 2 subgroups", field="groups")
    if tau2 not in ("separate", "common"):
        raise AnalysisInputError("tau2 must be 'separate' or 'common'", field="tau2")
    members = {g: np.array([v == g for v in values]) for g in names}
    results = tuple(
        pool(effects.subset(members[g]), method, hk=hk, level=level, control=control, test=test)
        for g in names
    )
    overall = pool(effects, method, hk=hk, level=level, control=control, test=test)

    if tau2 == "separate":
        est = np.array([r.estimate for r in results])
        w = 1 / np.array([r.se for r in results]) ** 2
        mean = np.sum(w * est) / np.sum(w)
        q = float(np.sum(w * (est - mean) ** 2))
        df = len(names) - 1
        pvalue = float(stats.chi2.sf(q, df))
        between = "chi2"
    else:
        if method.upper() not in IV_METHODS:
            raise AnalysisInputError(
                "a common tau^2 needs an inverse-variance method", field="method"
            )
        keep = effects.included
        dummies = np.column_stack([[v == g for v in values] for g in names[1:]]).astype(float)
        fit = meta_regression(
            effects.yi[keep],
            effects.vi[keep],
            dummies[keep],
            names=list(names[1:]),
            method=method,
            hk=hk,
            level=level,
            control=control,
            test=test,
        )
        q, df, pvalue = fit.qm, fit.qm_df, fit.qm_pvalue
        between = "chi2" if fit.df is None else "F"
    return SubgroupResult(
        groups=names,
        results=results,
        overall=overall,
        q_between=q,
        df=df,
        pvalue=pvalue,
        test=between,
        tau2=tau2,
        options={
            "method": method.upper(),
            "hk": hk,
            "level": level,
            "tau2": tau2,
            "control": dict(control or {}),
        },
    )
