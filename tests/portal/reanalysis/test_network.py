"""Network meta-analysis through the pages: three uploaded datasets of arms make one
network whose numbers are metafor's (tests/analysis/reference), shown in words, as a
league table and a graph, and downloadable; a bad mapping is refused beside its field."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from analysis.network import Arm, network_from_arms
from analysis.network.tables import rows
from portal.reanalysis.models import AnalysisRun
from tests.portal.conftest import csrf_token

REFERENCE = Path(__file__).parents[2] / "analysis" / "reference"


def _reference(name: str, dataset: str) -> list[dict[str, str]]:
    with (REFERENCE / name).open() as handle:
        return [r for r in csv.DictReader(handle) if r["dataset"] == dataset]


def senn_parts() -> list[str]:
    """dat.senn2013's arms (mean HbA1c change) split over three datasets, each with column
    names of its own, as three groups might have shared them."""
    rows = _reference("network_arms.csv", "senn2013")
    studies = sorted({r["study"] for r in rows})
    parts = []
    for part in range(3):
        chosen = set(studies[part::3])
        lines = ["trial,drug,mean_change,sd_change,patients"] + [
            f'"{r["study"]}",{r["treatment"]},{r["mean"]},{r["sd"]},{r["n"]}'
            for r in rows
            if r["study"] in chosen
        ]
        parts.append("\n".join(lines) + "\n")
    return parts


def senn_arms() -> list[Arm]:
    return [
        Arm(r["study"], r["treatment"], n=float(r["n"]), mean=float(r["mean"]), sd=float(r["sd"]))
        for r in _reference("network_arms.csv", "senn2013")
    ]


MAPPING = {"study": "trial", "treatment": "drug", "mean": "mean_change", "sd": "sd_change"}


@pytest.fixture
def senn(sharing) -> list[str]:
    return [
        sharing.share(f"Diabetes trials, part {i + 1}", text) for i, text in enumerate(senn_parts())
    ]


def start_network(client, slugs: list[str]) -> str:
    """Choose the datasets; returns the builder's URL."""
    page = client.get("/analyses/new?kind=network").get_data(as_text=True)
    for slug in slugs:
        assert f'value="{slug}@1"' in page
    response = client.post(
        "/analyses/new",
        data={
            "csrf_token": csrf_token(client, "/analyses/new?kind=network"),
            "kind": "network",
            "title": "Glucose-lowering drugs",
            "datasets": [f"{slug}@1" for slug in slugs],
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    assert re.search(r"/analyses/\d+/network$", response.headers["Location"])
    return response.headers["Location"]


def builder_form(client, url: str, mapping: dict, **options) -> dict:
    data = {
        "csrf_token": csrf_token(client, url),
        "measure": "MD",
        "reference": "placebo",
        "small_values": "good",
        "level": "0.95",
        **options,
    }
    for i in range(3):
        data.update({f"d{i}_{role}": column for role, column in mapping.items()})
        data[f"d{i}_n"] = "patients"
    return data


def test_three_datasets_make_the_network_metafor_fits_shown_in_plain_words(
    client, auth, senn, member, session
):
    auth.login(member)
    url = start_network(client, senn)
    page = client.get(url).get_data(as_text=True)
    assert '<option value="mean_change">' in page
    response = client.post(url, data=builder_form(client, url, MAPPING))
    assert response.status_code == 303, response.get_data(as_text=True)
    job = client.get("/api/v1" + response.headers["Location"]).get_json()
    assert job["state"] == "finished", job
    run_id = job["result"]["analysis"]
    run = session.get(AnalysisRun, run_id)
    network = run.results["network"]
    (summary,) = _reference("network_summary.csv", "senn2013_MD")
    assert network["tau2"] == pytest.approx(float(summary["tau2"]), rel=1e-6)
    assert network["n_studies"] == 26
    pscores = {
        r["treatment"]: float(r["pscore"]) for r in _reference("network_pscores.csv", "senn2013_MD")
    }
    assert network["pscores"] == pytest.approx(pscores, rel=1e-6)
    assert network["decomposition"]["between_designs"]["q"] == pytest.approx(
        float(summary["q_between"]), rel=1e-6
    )

    page = client.get(f"/analyses/{run_id}").get_data(as_text=True)
    assert "League table" in page and 'class="compact league-table"' in page
    best = network["ranking"][0]
    assert f"<li>{best}: on average {100 * network['pscores'][best]:.0f}% likely" in page
    assert "Studies of different designs" in page or "no way to test" in page
    assert "How is this computed?" in page and "back-calculated" in page
    assert f'src="/analyses/{run_id}/network.svg"' in page

    svg = client.get(f"/analyses/{run_id}/network.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert b"<svg" in svg.data
    body = client.get(f"/analyses/{run_id}/results.csv").get_data(as_text=True)
    table = list(csv.DictReader(io.StringIO(body)))
    ranking = [r["first"] for r in table if r["table"] == "ranking"]
    assert ranking == network["ranking"]
    # the download rebuilt from the stored result is the fit's own table, to the last digit
    expected = rows(network_from_arms(senn_arms(), "MD", reference="placebo"))
    assert len(table) == len(expected)
    for got, want in zip(table, expected, strict=True):
        assert got["table"] == want["table"] and got["first"] == want["first"]
        if want.get("estimate") is not None:
            # a split model's flatter likelihood lets the other study order move its optimum
            # in the ninth digit; a league entry is a difference of two estimates near each
            # other, whose cancellation turns the optimum's last digits (which follow the
            # CPU's floating-point paths) into a relative error: an absolute margin as well
            rel = 1e-7 if want["table"] == "nodesplit" else 1e-9
            assert float(got["estimate"]) == pytest.approx(want["estimate"], rel=rel, abs=1e-9), (
                want["table"]
            )
    data = client.get(f"/analyses/{run_id}/results.json").get_json()
    assert data["kind"] == "network" and data["results"]["network"]["tau2"] == network["tau2"]
    api = client.get(f"/api/v1/analyses/{run_id}").get_json()
    assert api["results"]["network"]["ranking"] == network["ranking"]

    # node-splitting and the random-effects interaction test, as rma.mv gives them, on the
    # page, in both downloads and in what the API serves
    nodes = {
        (r["first"], r["second"]): r for r in _reference("network_nodesplit.csv", "senn2013_MD")
    }
    stored = {(s["first"], s["second"]): s for s in network["nodesplits"]}
    assert set(stored) == set(nodes)
    for key, r in nodes.items():
        if r["estimable"] == "TRUE":
            assert stored[key]["difference"] == pytest.approx(float(r["difference"]), rel=1e-6)
            assert stored[key]["indirect"] == pytest.approx(float(r["indirect"]), rel=1e-6)
        else:
            assert stored[key]["difference"] is None and stored[key]["note"]
    (dbt,) = _reference("network_dbt.csv", "senn2013_MD")
    interaction = network["design_by_treatment"]
    assert interaction["wald"] == pytest.approx(float(dbt["wald"]), rel=1e-6)
    assert interaction["tau2_interaction"] == pytest.approx(
        float(dbt["tau2_interaction"]), rel=1e-6
    )
    assert interaction["df"] == int(dbt["df"])
    (lr,) = _reference("network_lrt.csv", "senn2013_MD")
    assert interaction["lrt"] == pytest.approx(float(lr["lrt"]), rel=1e-6)
    assert interaction["lrt_pvalue"] == pytest.approx(float(lr["pvalue"]), rel=1e-6)
    assert (
        "A second check, asking how much better the data fit when each design may differ, also "
        "finds no more disagreement than chance explains (p = 0.572).</p>" in page
    )
    assert "Likelihood-ratio test (ML fits) = 5.73 on 7 df" in page
    assert "anova()" in page
    assert 'id="nodesplits"' in page and "Checking each comparison on its own" in page
    assert (
        "<li>metformin against sulfonylurea: direct -0.37, indirect -1.00; direct minus indirect "
        "is 0.63 (95% interval -0.23 to 1.48), so they agree within what chance explains "
        "(p = 0.15).</li>" in page
    )
    assert "benfluorex against placebo: cannot be checked this way (no indirect evidence" in page
    assert (
        '<p id="interaction-test">Allowing for studies to differ from one another, the designs '
        "agree within what chance explains (p = 0.943)." in page
    )
    assert "Node-splitting (Dias et al. 2010)" in page and "Higgins et al. 2012" in page
    assert sum(r["table"] == "nodesplit" for r in table) == len(nodes)
    (wald,) = [
        r for r in table if r["table"] == "design_by_treatment" and r["first"] == "interaction"
    ]
    assert float(wald["q"]) == pytest.approx(interaction["wald"], rel=1e-12)
    (ratio_row,) = [
        r for r in table if r["table"] == "design_by_treatment" and r["first"] == "likelihood_ratio"
    ]
    assert float(ratio_row["q"]) == pytest.approx(interaction["lrt"], rel=1e-12)
    assert data["results"]["network"]["nodesplits"] == network["nodesplits"]
    assert api["results"]["network"]["design_by_treatment"] == interaction


def test_a_bad_mapping_is_refused_beside_its_field_keeping_what_was_typed(
    client, auth, senn, member, session
):
    auth.login(member)
    url = start_network(client, senn)
    runs = session.scalar(select(func.count()).select_from(AnalysisRun))
    response = client.post(
        url, data=builder_form(client, url, {**MAPPING, "sd": ""}, reference="metformin")
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="d0_sd-error"' in page and "standard deviation" in page
    assert 'value="metformin"' in page  # the reference typed is kept
    assert '<option value="mean_change" selected>' in page
    response = client.post(url, data=builder_form(client, url, MAPPING, measure="OR"))
    assert response.status_code == 400
    assert 'id="d0_events-error"' in response.get_data(as_text=True)
    run = session.scalar(select(AnalysisRun).order_by(AnalysisRun.id.desc()))
    session.refresh(run)
    assert run.status == "draft" and not run.harmonisation and not run.measure
    assert session.scalar(select(func.count()).select_from(AnalysisRun)) == runs


def test_a_reference_in_no_study_fails_the_run_saying_so(client, auth, senn, member, session):
    auth.login(member)
    url = start_network(client, senn)
    response = client.post(url, data=builder_form(client, url, MAPPING, reference="insulin"))
    job = client.get("/api/v1" + response.headers["Location"]).get_json()
    assert job["state"] == "failed"
    run = session.scalar(select(AnalysisRun).order_by(AnalysisRun.id.desc()))
    page = client.get(f"/analyses/{run.id}").get_data(as_text=True)
    assert "insulin" in page and 'id="failure"' in page


def test_a_network_runs_again_on_a_newer_version_of_one_of_its_datasets(
    client, auth, senn, sharing, member, session
):
    auth.login(member)
    url = start_network(client, senn)
    response = client.post(url, data=builder_form(client, url, MAPPING))
    first = client.get("/api/v1" + response.headers["Location"]).get_json()["result"]["analysis"]
    auth.logout()
    lines = senn_parts()[0].splitlines(keepends=True)
    last_study = lines[-1].split(",")[0]
    shorter = "".join(line for line in lines if not line.startswith(last_study + ","))
    sharing.publish_version(senn[0], shorter)
    auth.login(member)
    response = client.post(
        f"/analyses/{first}/newest",
        data={"csrf_token": csrf_token(client, f"/analyses/{first}")},
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    job = client.get("/api/v1" + response.headers["Location"]).get_json()
    assert job["state"] == "finished", job
    newer = session.get(AnalysisRun, job["result"]["analysis"])
    assert newer.rerun_of_id == first and newer.kind == "network"
    assert [i.version.number for i in newer.inputs] == [2, 1, 1]
    page = client.get(f"/analyses/{newer.id}").get_data(as_text=True)
    assert "League table" in page and f"analysis {first}" in page


def test_a_run_stored_before_node_splitting_still_shows_and_downloads() -> None:
    from portal.reanalysis.network import in_words, stored_result

    network = network_from_arms(senn_arms(), "MD", reference="placebo").to_dict()
    network.pop("cov")
    del network["nodesplits"], network["design_by_treatment"]
    run = AnalysisRun(results={"network": network, "ranking_words": []})
    words = in_words(run.results)
    assert words["nodesplits"] == [] and words["interaction"] == ""
    rebuilt = stored_result(run)
    assert rebuilt.nodesplits == () and rebuilt.design_by_treatment is None
    assert not [r for r in rows(rebuilt) if r["table"] in ("nodesplit", "design_by_treatment")]


def test_a_run_stored_before_the_likelihood_ratio_test_still_shows_and_downloads() -> None:
    from portal.reanalysis.network import in_words, stored_result

    network = network_from_arms(senn_arms(), "MD", reference="placebo").to_dict()
    network.pop("cov")
    for key in [
        k for k in network["design_by_treatment"] if k.startswith(("lrt", "loglik", "tau2_"))
    ]:
        if key not in ("tau2_consistency", "tau2_interaction"):
            del network["design_by_treatment"][key]
    run = AnalysisRun(results={"network": network, "ranking_words": []})
    words = in_words(run.results)
    assert words["interaction"].startswith("Allowing for studies to differ")
    assert "second check" not in words["interaction"]
    rebuilt = stored_result(run)
    assert rebuilt.design_by_treatment is not None and rebuilt.design_by_treatment.lrt is None
    tables = [r["first"] for r in rows(rebuilt) if r["table"] == "design_by_treatment"]
    assert tables == ["consistency", "interaction"]
