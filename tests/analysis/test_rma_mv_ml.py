"""Maximum-likelihood rma.mv fits and the likelihood-ratio test of the design-by-treatment
interaction against metafor (tests/analysis/reference/rma_mv_ml.R)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis._rma_mv import fit, fit_ml, fit_reml
from analysis.network import Arm, contrasts_from_arms, network_from_arms
from analysis.network.inconsistency import interaction_design
from analysis.network.model import _design_matrix, _heterogeneity_structure, _treatment_order
from tests.analysis.network.test_network_inconsistency import CASES
from tests.analysis.network.test_network_reference import arms, rows

REL = 1e-6
LRT_ROWS = {r["dataset"]: r for r in rows("network_lrt.csv")}


def expected(dataset: str, model: str) -> tuple[float, list[float], dict[str, float]]:
    chosen = [r for r in rows("rma_mv_ml.csv") if r["dataset"] == dataset and r["model"] == model]
    (loglik,) = [float(r["value"]) for r in chosen if r["quantity"] == "loglik"]
    sigma2 = [float(r["value"]) for r in chosen if r["quantity"] == "sigma2"]
    beta = {r["term"]: float(r["value"]) for r in chosen if r["quantity"] == "beta"}
    return loglik, sigma2, beta


def network_arms(name: str) -> list[Arm]:
    dataset = CASES[name][0]
    if dataset == "pagliaro1992":
        return [
            Arm(r["study"], r["treatment"], n=float(r["n"]), events=float(r["events"]))
            for r in rows("network_inconsistency_arms.csv")
        ]
    return arms(dataset)


@pytest.mark.parametrize("name", list(CASES))
def test_network_models_by_ml_match_rma_mv(name: str) -> None:
    _, measure, reference, _ = CASES[name]
    given = network_arms(name)
    treatments, reference = _treatment_order([a.treatment for a in given], reference)
    data = contrasts_from_arms(given, measure, treatments, reference)
    X = _design_matrix(data, treatments, reference)
    structure = _heterogeneity_structure(data)
    D, _, cells = interaction_design(data, X)
    others = [t for t in treatments if t != reference]
    labels = {
        "consistency": (X, others),
        "interaction": (D, [f"{'|'.join(design)}:{t}" for design, t in cells]),
    }
    for model, (design, names) in labels.items():
        loglik, sigma2, beta = expected(name, model)
        got = fit_ml(data.yi, data.V, design, [structure])
        assert got.method == "ML"
        assert got.loglik == pytest.approx(loglik, rel=REL), model
        assert got.sigma2 == pytest.approx(sigma2, rel=REL), model
        assert dict(zip(names, got.beta, strict=True)) == pytest.approx(beta, rel=REL), model


@pytest.mark.parametrize("mods", ["none", "mod"])
def test_three_level_ml_matches_rma_mv(mods: str) -> None:
    data = [r for r in rows("multilevel_studies.csv") if r["dataset"] == "konstantopoulos2011"]
    y = np.array([float(r["yi"]) for r in data])
    v = np.array([float(r["vi"]) for r in data])
    studies = np.array([r["study"] for r in data])
    X = np.ones((len(y), 1))
    if mods == "mod":
        X = np.column_stack([X, [float(r["mod"]) for r in data]])
    same_study = (studies[:, None] == studies[None, :]).astype(float)
    loglik, sigma2, beta = expected(f"konstantopoulos2011_{mods}", "three_level")
    got = fit_ml(y, np.diag(v), X, [same_study, np.eye(len(y))])
    assert got.loglik == pytest.approx(loglik, rel=REL)
    assert got.sigma2 == pytest.approx(sigma2, rel=REL)
    assert got.beta == pytest.approx(list(beta.values()), rel=REL)
    # ML shrinks the variance components below REML's (it ignores the lost coefficients)
    reml = fit_reml(y, np.diag(v), X, [same_study, np.eye(len(y))])
    assert got.sigma2.sum() < reml.sigma2.sum()


@pytest.mark.parametrize("name", list(CASES))
def test_likelihood_ratio_test_matches_anova(name: str) -> None:
    _, measure, reference, small = CASES[name]
    result = network_from_arms(network_arms(name), measure, reference=reference, small_values=small)
    dbt = result.design_by_treatment
    r = LRT_ROWS[name]
    assert dbt is not None and not dbt.lrt_note
    assert dbt.lrt == pytest.approx(float(r["lrt"]), rel=REL)
    assert dbt.df == int(r["df"])
    assert dbt.lrt_pvalue == pytest.approx(float(r["pvalue"]), rel=REL)
    assert dbt.loglik_consistency_ml == pytest.approx(float(r["loglik_consistency"]), rel=REL)
    assert dbt.loglik_interaction_ml == pytest.approx(float(r["loglik_interaction"]), rel=REL)
    # the network's own estimates stay REML
    assert result.options["method"] == "REML" and dbt.tau2_consistency == result.tau2


def test_an_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="method"):
        fit(np.zeros(3), np.eye(3), np.ones((3, 1)), [np.eye(3)], "EB")  # type: ignore[arg-type]


def test_a_failed_ml_fit_leaves_the_wald_test_and_a_note(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from analysis.errors import ConvergenceError
    from analysis.network import command, inconsistency

    def fails(*args: object) -> None:
        raise ConvergenceError("the fit did not converge in 200 iterations")

    monkeypatch.setattr(inconsistency, "fit_ml", fails)
    result = network_from_arms(arms("senn2013"), "MD", reference="placebo")
    dbt = result.design_by_treatment
    assert dbt is not None and dbt.wald is not None and dbt.pvalue is not None
    assert dbt.lrt is None and dbt.lrt_pvalue is None
    assert (
        dbt.lrt_note
        == "the maximum-likelihood fits failed: the fit did not converge in 200 iterations"
    )
    assert (
        f"Likelihood-ratio test (ML fits): not tested ({dbt.lrt_note})"
        in command.format_network(result)
    )
