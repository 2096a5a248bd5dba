"""Network meta-analysis through the API: POST /api/v1/analyses with kind "network" makes
the run the builder makes (metafor's numbers, tests/analysis/reference/network.R), GET
gives the league table, P-scores, direct against indirect evidence and the inconsistency
test with their words; a bad request is a 400 naming its field, and nothing is kept."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.reanalysis import network
from portal.reanalysis.models import AnalysisRun
from tests.portal.reanalysis.conftest import new_token
from tests.portal.reanalysis.test_network import MAPPING, _reference, senn_parts


@pytest.fixture
def senn(sharing) -> list[str]:
    return [
        sharing.share(f"Diabetes trials, part {i + 1}", text) for i, text in enumerate(senn_parts())
    ]


def network_body(slugs: list[str], **overrides) -> dict:
    body = {
        "title": "Glucose-lowering drugs",
        "kind": "network",
        "datasets": [{"slug": s, "version": 1} for s in slugs],
        "harmonisation": {"datasets": {s: {**MAPPING, "n": "patients"} for s in slugs}},
        "measure": "MD",
        "options": {"reference": "placebo", "small_values": "good"},
    }
    body.update(overrides)
    return body


@pytest.fixture
def headers(client, auth, member) -> dict:
    auth.login(member)
    token = new_token(client)
    auth.logout()
    return {"Authorization": f"Bearer {token}"}


def test_the_api_creates_a_network_run_and_reads_its_tables(client, senn, headers, session):
    response = client.post("/api/v1/analyses", json=network_body(senn), headers=headers)
    assert response.status_code == 202, response.get_json()
    created = response.get_json()
    assert created["job"]["state"] == "finished", created["job"]
    assert created["analysis"]["kind"] == "network"
    run = client.get(created["links"]["analysis"], headers=headers).get_json()
    assert run["status"] == "finished"
    assert run["options"] == {"reference": "placebo", "small_values": "good", "level": 0.95}
    n = run["results"]["network"]
    (summary,) = _reference("network_summary.csv", "senn2013_MD")
    assert n["tau2"] == pytest.approx(float(summary["tau2"]), rel=1e-6)
    pscores = {
        r["treatment"]: float(r["pscore"]) for r in _reference("network_pscores.csv", "senn2013_MD")
    }
    assert n["pscores"] == pytest.approx(pscores, rel=1e-6)
    assert n["decomposition"]["between_designs"]["q"] == pytest.approx(
        float(summary["q_between"]), rel=1e-6
    )
    assert len(n["league"]) == len(n["treatments"]) == len(pscores)
    assert n["splits"] and "direct" in n["splits"][0]
    words = run["in_plain_words"]
    assert words == network.in_words(session.get(AnalysisRun, run["id"]).results)
    assert words["ranking"][1].startswith(f"1. {n['ranking'][0]}: on average")
    assert len(words["league"]) == len(n["treatments"]) and words["inconsistency"]
    assert any("directly" in s for s in words["splits"])
    # the same run as the pages show and download
    page = client.get(run["url"]).get_data(as_text=True)
    assert "League table" in page


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"measure": "SMD"}, "measure"),
        ({"method": "DL"}, "method"),
        ({"options": {"hk": True}}, "options.hk"),
        ({"options": {"multilevel": True}}, "options.multilevel"),
        ({"options": {"level": 0.2}}, "level"),
        ({"harmonisation": {"datasets": ["not", "a", "mapping"]}}, "datasets"),
        ({"harmonisation": {"columns": {"ai": "x"}}}, "datasets"),
    ],
)
def test_a_bad_network_request_is_a_400_naming_its_field(
    client, senn, headers, session, change, field
):
    response = client.post("/api/v1/analyses", json=network_body(senn, **change), headers=headers)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["field"] == field
    assert session.scalar(select(func.count()).select_from(AnalysisRun)) == 0


def test_a_missing_or_wrong_column_names_the_dataset_and_role(client, senn, headers, session):
    body = network_body(senn)
    del body["harmonisation"]["datasets"][senn[1]]["sd"]
    response = client.post("/api/v1/analyses", json=body, headers=headers)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["field"] == f"datasets.{senn[1]}.sd" and "standard deviation" in error["message"]
    body = network_body(senn)
    body["harmonisation"]["datasets"][senn[0]]["mean"] = {"column": "mean_change"}
    response = client.post("/api/v1/analyses", json=body, headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == f"datasets.{senn[0]}.mean"
    body = network_body(senn, options={"small_values": "maybe"})
    response = client.post("/api/v1/analyses", json=body, headers=headers)
    assert response.status_code == 400 and "small_values" in response.get_json()["error"]["field"]
    assert session.scalar(select(func.count()).select_from(AnalysisRun)) == 0
