"""Time-to-event outcomes: the log hazard ratio of each study from a Cox model on
participant-level data (statsmodels ``PHReg``, Efron ties as in R's
``survival::coxph``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ..errors import AnalysisInputError
from ._common import EffectSizes


def cox_log_hazard_ratio(
    time: ArrayLike,
    event: ArrayLike,
    treatment: ArrayLike,
    covariates: ArrayLike | None = None,
    *,
    ties: str = "efron",
    study: str | None = None,
) -> tuple[float, float]:
    """Log hazard ratio of treatment (1) vs control (0) and its variance from a Cox model.

    Ties are handled with Efron's method by default, matching R's ``coxph``.
    """
    from statsmodels.duration.hazard_regression import PHReg

    from .._modelfit import fitting

    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=float)
    z = np.asarray(treatment, dtype=float)
    if ties not in ("efron", "breslow"):
        raise AnalysisInputError(f"unknown ties method {ties!r}", field="ties")
    for arm, label in ((1.0, "treatment"), (0.0, "control")):
        in_arm = z == arm
        if not in_arm.any():
            raise AnalysisInputError(f"the {label} arm is empty", study=study, field="arm")
        if e[in_arm].sum() == 0:
            raise AnalysisInputError(
                f"no events in the {label} arm; the hazard ratio is not estimable",
                study=study,
                field="event",
            )
    exog = z[:, None] if covariates is None else np.column_stack([z, np.asarray(covariates, float)])
    with fitting(study, "Cox model", "time"):
        fit = PHReg(t, exog, status=e, ties=ties).fit()
        beta = float(fit.params[0])
        var = float(fit.cov_params()[0, 0])
    if not (np.isfinite(beta) and np.isfinite(var) and var > 0):
        raise AnalysisInputError(
            "Cox model gave a non-finite hazard ratio", study=study, field="time"
        )
    return beta, var


def hazard_ratio_effect_sizes(
    frame: pd.DataFrame,
    *,
    study: str,
    time: str,
    event: str,
    treatment: str,
    covariates: Sequence[str] = (),
    ties: str = "efron",
) -> EffectSizes:
    """Per-study Cox log hazard ratios from participant-level data.

    ``treatment`` must be coded 1 (treatment) / 0 (control); use
    :class:`analysis.ipd.Harmonisation` to get there from raw codings.
    """
    labels: list[str] = []
    yi: list[float] = []
    vi: list[float] = []
    for label, part in frame.groupby(study, sort=False):
        name = str(label)
        cov = part[list(covariates)].to_numpy(float) if covariates else None
        beta, var = cox_log_hazard_ratio(
            part[time].to_numpy(),
            part[event].to_numpy(),
            part[treatment].to_numpy(),
            cov,
            ties=ties,
            study=name,
        )
        labels.append(name)
        yi.append(beta)
        vi.append(var)
    k = len(labels)
    return EffectSizes(
        measure="HR",
        yi=np.array(yi),
        vi=np.array(vi),
        labels=tuple(labels),
        corrected=np.zeros(k, dtype=bool),
        options={"ties": ties, "covariates": list(covariates)},
    )
