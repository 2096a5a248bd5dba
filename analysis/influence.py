"""Case-deletion diagnostics of an inverse-variance model (``metafor::influence.rma.uni``).

For each study ``i`` the model is refitted without it (the same method, test, level
and control; the refits come from :func:`analysis.sensitivity.leave_one_out`, so they
are one batch of array operations where :mod:`analysis.batch` covers the method), and

* ``rstudent``  ``(y_i - b_(i)) / sqrt(s2w_(i) (v_i + tau2_(i)) + var b_(i))``, the
  externally standardised residual;
* ``dffits``    ``(b - b_(i)) / sqrt(s2w_(i) h_i (tau2_(i) + v_i))``;
* ``cook_d``    ``(b - b_(i))^2 / var b``;
* ``cov_r``     ``var b_(i) / var b``;
* ``tau2_del``, ``qe_del``  tau^2 and Q without the study;
* ``hat``       ``w_i / sum w``, and ``weight`` the same in percent;
* ``dfbetas``   ``(b - b_(i)) / sqrt(s2w_(i) / sum_j 1/(v_j + tau2_(i)))``;
* ``influential`` metafor's flag: ``|dffits| > 3 sqrt(p/(k-p))``, or
  ``pchisq(cook_d, 1) > 0.5``, or ``hat > 3p/k``, or ``|dfbetas| > 1``.

``s2w`` is the Hartung-Knapp variance factor of the refit (1 without it), ``b`` the
pooled estimate and ``var b`` its variance, as metafor defines them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ._rootfind import DOUBLE_EPS
from .batch import ROW_BUDGET
from .effect_sizes import EffectSizes
from .errors import AnalysisInputError
from .heterogeneity import design
from .pooling import resolve_test
from .pooling.uni import fit_inverse_variance
from .provenance import json_object, software_versions
from .sensitivity import leave_one_out

COLUMNS = (
    "rstudent",
    "dffits",
    "cook_d",
    "cov_r",
    "tau2_del",
    "qe_del",
    "hat",
    "weight",
    "dfbetas",
)


@dataclass(frozen=True, eq=False)
class InfluenceResult:
    """One row per study with a usable estimate (metafor's ``na.omit`` layout)."""

    labels: tuple[str, ...]
    columns: Mapping[str, np.ndarray]
    influential: np.ndarray
    method: str
    test: str
    options: dict[str, Any] = field(default_factory=dict)
    software: dict[str, str] = field(default_factory=software_versions)

    def __len__(self) -> int:
        return len(self.labels)

    def row(self, i: int) -> dict[str, Any]:
        out: dict[str, Any] = {"study": self.labels[i]}
        out.update({name: float(self.columns[name][i]) for name in COLUMNS})
        out["influential"] = bool(self.influential[i])
        return out

    def to_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame({"study": list(self.labels)})
        for name in COLUMNS:
            frame[name] = np.asarray(self.columns[name], dtype=float)
        frame["influential"] = self.influential
        return frame

    def in_plain_words(self) -> str:
        flagged = [label for label, hit in zip(self.labels, self.influential, strict=True) if hit]
        if not flagged:
            return (
                "No single study changes the pooled result much: leaving any one out moves "
                "it by little compared with its uncertainty."
            )
        return (
            f"{len(flagged)} stud{'y' if len(flagged) == 1 else 'ies'} ({', '.join(flagged)}) "
            "weigh on the pooled result more than the others: leaving "
            f"{'it' if len(flagged) == 1 else 'one of them'} out changes the result, or its "
            "result sits far from the rest. Read the pooled result with and without "
            f"{'it' if len(flagged) == 1 else 'them'} (see leave-one-out)."
        )

    def to_dict(self) -> dict[str, Any]:
        return json_object(
            {
                "schema": "analysis.influence/1",
                "method": self.method,
                "test": self.test,
                "options": self.options,
                "rows": [self.row(i) for i in range(len(self))],
                "in_plain_words": self.in_plain_words(),
                "software": self.software,
            }
        )


def _total_weights(v: np.ndarray, tau2: np.ndarray) -> np.ndarray:
    """``sum_j 1/(v_j + tau2_i)`` for every ``i``, in blocks of rows so that memory stays
    at :data:`analysis.batch.ROW_BUDGET` cells however many studies there are."""
    out = np.empty(len(tau2))
    block = max(1, ROW_BUDGET // max(1, len(v)))
    for lo in range(0, len(tau2), block):
        out[lo : lo + block] = (1.0 / (v[None, :] + tau2[lo : lo + block, None])).sum(axis=1)
    return out


def influence_diagnostics(
    effects: EffectSizes,
    method: str = "REML",
    *,
    hk: bool = False,
    level: float = 0.95,
    control: Mapping[str, Any] | None = None,
    test: str | None = None,
) -> InfluenceResult:
    """``influence(rma(yi, vi, method=, test=))`` for an intercept-only model."""
    test = resolve_test(hk, test)
    method = method.upper()
    if method in ("MH", "PETO"):
        raise AnalysisInputError(
            f"influence diagnostics are defined for inverse-variance models, not {method}",
            field="method",
        )
    kept = effects.subset(effects.included)
    y, v = kept.yi, kept.vi
    k = len(y)
    if k < 3:
        raise AnalysisInputError(
            f"influence diagnostics need at least 3 studies (got {k})", field="k"
        )
    full = fit_inverse_variance(y, v, design(k), method, False, level, control, test)
    beta = float(full["beta"][0])
    vb = float(full["vb"][0, 0])
    w = full["w"]
    hat = w / w.sum()
    loo = leave_one_out(kept, method, level=level, control=control, test=test)
    b_del = loo.column("estimate")
    vb_del = loo.column("se") ** 2
    tau2_del = loo.column("tau2")
    # the refit's total weight with all studies but i, and with all of them
    weights_all = _total_weights(v, tau2_del)
    weights_del = weights_all - 1.0 / (v + tau2_del)
    s2w = vb_del * weights_del if test == "knha" else np.ones(k)
    diff = beta - b_del
    resid = y - b_del
    resid[np.abs(resid) < 100 * DOUBLE_EPS] = 0.0
    # Hartung-Knapp gives a zero variance when every estimate is equal: 0/0 is NaN,
    # as in metafor
    with np.errstate(divide="ignore", invalid="ignore"):
        rstudent = resid / np.sqrt(v * s2w + vb_del + tau2_del * s2w)
        dffits = diff / np.sqrt(s2w * hat * (tau2_del + v))
        dfbetas = diff / np.sqrt(s2w / weights_all)
        cook = diff**2 / vb
        cov_r = vb_del / vb
        flagged = (
            (np.abs(dffits) > 3 * np.sqrt(1 / (k - 1)))
            | (stats.chi2.cdf(cook, 1) > 0.5)
            | (hat > 3 / k)
            | (np.abs(dfbetas) > 1)
        )
    return InfluenceResult(
        labels=kept.labels,
        columns={
            "rstudent": rstudent,
            "dffits": dffits,
            "cook_d": cook,
            "cov_r": cov_r,
            "tau2_del": tau2_del,
            "qe_del": loo.column("q"),
            "hat": hat,
            "weight": 100 * hat,
            "dfbetas": dfbetas,
        },
        influential=np.asarray(flagged, dtype=bool),
        method=method,
        test=test,
        options={"method": method, "test": test, "level": level, "control": dict(control or {})},
    )
