"""One-stage pooling: one regression on all participants, with study as a stratum.

Logistic (GLM with study fixed effects), linear (study fixed effects), or a
Cox model stratified by study.

A random study intercept is offered for continuous outcomes (REML linear
mixed model, :mod:`analysis._mixed`, checked against statsmodels ``MixedLM``) and
binary outcomes (maximum-likelihood mixed logistic regression by adaptive
Gauss–Hermite quadrature, :mod:`analysis._glmm`, checked against ``lme4::glmer``).
No well-kept Python library fits a shared-frailty Cox model or a Cox model with a
random treatment effect, so time-to-event outcomes are stratified by study.
Covariates may be categorical (dummy-coded, first sorted level as reference).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._glmm import DEFAULT_NODES, fit_logistic_random_intercept
from .._mixed import fit_random_intercept
from .._modelfit import fitting
from ..errors import AnalysisInputError
from ..pooling import normalise_level
from ..provenance import json_object, software_versions
from ..vocabulary import StudyEffect
from ._design import covariate_matrix, first_dependent_column
from .cox import fit_cox
from .harmonise import HarmonisedData, as_harmonised


@dataclass(frozen=True, eq=False)
class OneStageResult:
    measure: str
    model: str
    estimate: float
    se: float
    statistic: float
    pvalue: float
    ci_low: float
    ci_high: float
    level: float
    n: int
    n_studies: int
    adjusted_for: tuple[str, ...]
    df: float | None = None
    events: int | None = None
    study_effect: str = "fixed"
    tau2: float | None = None
    loglik: float | None = None
    converged: bool | None = None
    coefficients: dict[str, float] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    software: dict[str, str] = field(default_factory=software_versions)

    @property
    def is_ratio(self) -> bool:
        return self.measure in ("OR", "HR")

    @property
    def random_effect_summary(self) -> str | None:
        """The random study intercept in plain words, for pages and downloads."""
        if self.tau2 is None:
            return None
        sd = math.sqrt(self.tau2)
        if self.measure == "OR":
            if sd == 0:
                return (
                    "The studies do not differ in their baseline risk beyond chance: the "
                    "estimated spread of the study intercepts is zero."
                )
            low, high = math.exp(-1.959963984540054 * sd), math.exp(1.959963984540054 * sd)
            return (
                "Studies differ in their baseline risk; the spread is a standard deviation "
                f"of {sd:.3g} on the log-odds scale, so the odds of the event in 95% of "
                f"studies lie between {low:.3g} and {high:.3g} times those of a typical study "
                "(the odds ratio for treatment is the same in every study)."
            )
        return (
            "Studies differ in their average outcome; the spread is a standard deviation "
            f"of {sd:.3g} in the outcome's units."
        )

    def to_dict(self) -> dict[str, Any]:
        ratio = self.is_ratio
        return json_object(
            {
                "schema": "analysis.ipd-one-stage/1",
                "measure": self.measure,
                "scale": "log" if ratio else "identity",
                "model": self.model,
                "study_effect": self.study_effect,
                "estimate": self.estimate,
                "se": self.se,
                "statistic": self.statistic,
                "pvalue": self.pvalue,
                "df": self.df,
                "ci_low": self.ci_low,
                "ci_high": self.ci_high,
                "estimate_exp": math.exp(self.estimate) if ratio else None,
                "ci_low_exp": math.exp(self.ci_low) if ratio else None,
                "ci_high_exp": math.exp(self.ci_high) if ratio else None,
                "level": self.level,
                "n": self.n,
                "events": self.events,
                "n_studies": self.n_studies,
                "tau2": self.tau2,
                "random_sd": None if self.tau2 is None else math.sqrt(self.tau2),
                "loglik": self.loglik,
                "converged": self.converged,
                "random_effect_summary": self.random_effect_summary,
                "adjusted_for": list(self.adjusted_for),
                "coefficients": self.coefficients,
                "options": self.options,
                "notes": list(self.notes),
                "software": self.software,
            }
        )


STUDY_EFFECTS = tuple(StudyEffect)

TIME_TO_EVENT_RANDOM_REFUSAL = (
    "random study effects are not offered for time-to-event outcomes: neither a "
    "shared-frailty Cox model nor a Cox model with a random treatment effect is "
    "available here. Use the one-stage Cox model stratified by study (study effect: "
    "fixed), or the two-stage pooling with random effects."
)


def _check_events(frame: pd.DataFrame, outcome_type: str) -> int | None:
    """Events in all; a model with no events (or no events in one arm anywhere) has no
    finite treatment effect, which statsmodels would only hint at with a warning."""
    if outcome_type == "continuous":
        return None
    column = "y" if outcome_type == "binary" else "event"
    events = frame[column].to_numpy(float)
    treat = frame["treat"].to_numpy(float) == 1
    total = int(events.sum())
    if total == 0:
        raise AnalysisInputError("no participant had the event in any study", field=column)
    if outcome_type == "binary" and total == len(events):
        raise AnalysisInputError("every participant had the event in every study", field=column)
    for flag, arm in ((treat, "treatment"), (~treat, "control")):
        if events[flag].sum() == 0:
            raise AnalysisInputError(
                f"no events in the {arm} arm of any study: the treatment effect is not estimable",
                field=column,
            )
        if outcome_type == "binary" and events[flag].sum() == flag.sum():
            raise AnalysisInputError(
                f"every participant in the {arm} arm had the event: the odds ratio is not "
                "estimable",
                field=column,
            )
    return total


def one_stage(
    data: HarmonisedData | pd.DataFrame,
    *,
    outcome_type: str | None = None,
    covariates: Sequence[str] = (),
    categorical: Sequence[str] | None = None,
    study_effect: str = "fixed",
    filters: Sequence[Any] = (),
    level: float = 0.95,
    ties: str = "efron",
) -> OneStageResult:
    """One regression on all participants, with study as a stratum.

    * binary: logistic regression with study fixed effects -> log OR; or, with
      ``study_effect="random"``, a mixed logistic regression with a random study
      intercept fitted by maximum likelihood with adaptive Gauss–Hermite
      quadrature (as ``lme4::glmer(y ~ treat + (1 | study), family = binomial,
      nAGQ = 7)``; see :mod:`analysis._glmm`)
    * continuous: linear regression with study fixed effects (t test on the
      residual df, as R's ``lm``) -> MD; or, with ``study_effect="random"``,
      a linear mixed model with a random study intercept fitted by REML
      (as ``lme4::lmer(y ~ treat + (1 | study))``; see :mod:`analysis._mixed`),
      Wald z test on the treatment coefficient
    * time-to-event: Cox model stratified by study -> log HR

    Logistic and Cox models use Wald z tests, as R's ``glm``, ``glmer`` and
    ``coxph``.  Time-to-event outcomes have no random-effects option
    (:data:`TIME_TO_EVENT_RANDOM_REFUSAL` says what to use instead).

    Covariates are numeric or categorical (dummy-coded, first level as the
    reference).  ``filters`` (see :mod:`analysis.filters`) select rows first; the
    options record every filter the data passed, here or before.
    """
    import statsmodels.api as sm

    h = as_harmonised(data, outcome_type, covariates)
    h = h.filtered(filters)
    level = normalise_level(level)
    if study_effect not in STUDY_EFFECTS:
        raise AnalysisInputError(
            f"study_effect must be 'fixed' or 'random', not {study_effect!r}", field="study_effect"
        )
    if study_effect == "random" and h.outcome_type == "time-to-event":
        raise AnalysisInputError(TIME_TO_EVENT_RANDOM_REFUSAL, field="study_effect")
    covs = tuple(covariates)
    frame = h.frame
    for cov in covs:
        if cov not in frame.columns:
            raise AnalysisInputError(f"covariate {cov!r} is not in the harmonised data", field=cov)
    cats = tuple(h.categorical if categorical is None else categorical)
    studies = list(pd.unique(frame["study"]))
    codes = pd.Categorical(frame["study"], categories=studies).codes
    covx, cov_names = covariate_matrix(frame, covs, cats)
    treat = frame["treat"].to_numpy(float)
    if np.all(treat == treat[0]):
        raise AnalysisInputError("only one arm is present in the data", field="treat")
    events = _check_events(frame, h.outcome_type)
    dummies = np.zeros((len(frame), len(studies)))
    dummies[np.arange(len(frame)), codes] = 1.0
    study_names = [f"study[{s}]" for s in studies]
    # the identifiability check always includes the study columns: a covariate constant
    # within every study is as unestimable in a stratified Cox model as in a GLM
    check = np.column_stack([dummies, treat, covx])
    dependent = first_dependent_column(check, [*study_names, "treat", *cov_names])
    if dependent is not None:
        which = dependent.split("[")[0]
        raise AnalysisInputError(
            f"{dependent!r} is collinear with the study indicators, the treatment and the "
            "covariates before it (e.g. constant within every study, or a copy of another "
            "covariate); drop it from the covariates",
            field=which,
        )
    options: dict[str, Any] = {
        "study_effect": study_effect,
        "level": level,
        "covariates": list(covs),
        "categorical": [c for c in cats if c in covs],
        "filters": [f.to_dict() for f in h.filters],
    }
    df: float | None = None
    tau2: float | None = None
    ll: float | None = None
    converged: bool | None = None
    names = ["treat", *cov_names]
    notes = list(h.notes)
    if h.outcome_type == "time-to-event":
        exog = np.column_stack([treat, covx])
        with fitting(None, "stratified Cox model", "time"):
            cox = fit_cox(
                frame["time"].to_numpy(float),
                frame["event"].to_numpy(float),
                exog,
                strata=codes,
                ties=ties,
                names=names,
            )
        params, vcov = cox.params, cox.cov
        notes.extend(cox.notes)
        measure, model = "HR", f"Cox proportional hazards stratified by study ({ties} ties)"
        options["ties"] = ties
    elif study_effect == "random" and h.outcome_type == "binary":
        y = frame["y"].to_numpy(float)
        exog = np.column_stack([np.ones(len(frame)), treat, covx])
        with fitting(None, "mixed logistic regression", "y"):
            glmm = fit_logistic_random_intercept(exog, y, codes.astype(np.intp))
        params, vcov, tau2 = glmm.params[1:], glmm.cov[1:, 1:], glmm.sd**2
        ll, converged = glmm.loglik, glmm.converged
        options["quadrature_nodes"] = DEFAULT_NODES
        if not converged:
            notes.append(
                "the search for the maximum likelihood stopped before it converged; treat "
                "these numbers with caution"
            )
        measure = "OR"
        model = (
            "mixed logistic regression with a random study intercept (maximum likelihood, "
            f"adaptive Gauss–Hermite quadrature with {DEFAULT_NODES} nodes)"
        )
    elif study_effect == "random":
        y = frame["y"].to_numpy(float)
        exog = np.column_stack([np.ones(len(frame)), treat, covx])
        with fitting(None, "linear mixed model", "y"):
            fit = fit_random_intercept(exog, y, codes.astype(np.intp))
        params, vcov, tau2 = fit.params[1:], fit.cov[1:, 1:], fit.tau2
        measure, model = "MD", "linear mixed model with a random study intercept (REML)"
    else:
        y = frame["y"].to_numpy(float)
        exog = np.column_stack([treat, covx, dummies])
        if h.outcome_type == "binary":
            with fitting(None, "logistic regression", "y"):
                fit = sm.GLM(y, exog, family=sm.families.Binomial()).fit()
                params, vcov = np.asarray(fit.params), np.asarray(fit.cov_params())
            measure, model = "OR", "logistic regression with study fixed effects"
            notes.extend(_separation_notes(np.sqrt(np.diag(vcov)), [*names, *study_names]))
        else:
            with fitting(None, "linear regression", "y"):
                fit = sm.OLS(y, exog).fit()
                params, vcov = np.asarray(fit.params), np.asarray(fit.cov_params())
            df = float(fit.df_resid)
            measure, model = "MD", "linear regression with study fixed effects"
    beta, se = float(params[0]), float(np.sqrt(vcov[0, 0]))
    if not (math.isfinite(beta) and math.isfinite(se) and se > 0):
        raise AnalysisInputError(f"the {model} gave no finite treatment effect", field="treat")
    if covs:
        model += f", adjusted for {', '.join(covs)}"
    z = beta / se
    dist = stats.norm if df is None else stats.t(df)
    crit = float(dist.isf((1 - level) / 2))
    return OneStageResult(
        measure=measure,
        model=model,
        estimate=beta,
        se=se,
        statistic=z,
        pvalue=float(2 * dist.sf(abs(z))),
        ci_low=beta - crit * se,
        ci_high=beta + crit * se,
        level=level,
        n=len(frame),
        n_studies=len(studies),
        adjusted_for=covs,
        df=df,
        events=events,
        study_effect=study_effect,
        tau2=tau2,
        loglik=ll,
        converged=converged,
        coefficients={name: float(p) for name, p in zip(names, params[: len(names)], strict=True)},
        options=options,
        notes=tuple(notes),
    )


# A logit coefficient whose standard error is this large was pushed to infinity by
# (quasi-)complete separation: R's glm says "fitted probabilities numerically 0 or 1".
_SEPARATED_SE = 1e3


def _separation_notes(se: np.ndarray, names: Sequence[str]) -> list[str]:
    if se[0] > _SEPARATED_SE:
        raise AnalysisInputError(
            "the treatment effect is not estimable: the outcome is completely separated by "
            "arm (no events, or only events, in one arm of the studies that count)",
            field="y",
        )
    separated = [name for name, s in zip(names[1:], se[1:], strict=True) if s > _SEPARATED_SE]
    if not separated:
        return []
    return [
        f"not estimable (all or none of the participants had the event): "
        f"{', '.join(separated)}; those participants carry no information about the "
        "treatment effect, which is estimated from the others."
    ]
