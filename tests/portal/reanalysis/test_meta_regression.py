"""A meta-regression through the API and the pages: moderators in the mapping, t tests,
a permutation test whose seed is recorded, predictions; then the JSON and CSV
downloads, the plots kept per run and the results page's plain words."""

from __future__ import annotations

import csv
import io

import pandas as pd

import analysis
from analysis.moderators import analyse_moderators
from tests.portal.reanalysis.conftest import BCG_COLUMNS, BCG_CSV, new_token


def body(slug: str, **options) -> dict:
    return {
        "title": "Latitude and allocation",
        "kind": "aggregate",
        "datasets": [{"slug": slug, "version": 1}],
        "measure": "RR",
        "method": "REML",
        "options": {"test": "t", "permutations": 50, "predict": [{"Latitude": 20}], **options},
        "harmonisation": {
            "study": "Study",
            "subgroup": "Allocation",
            "columns": BCG_COLUMNS,
            "moderators": ["Latitude", "Allocation"],
            "categorical_moderators": ["Allocation"],
        },
    }


def test_the_api_runs_a_meta_regression_the_same_as_the_analysis_package(client, auth, bcg, member):
    auth.login(member)
    headers = {"Authorization": f"Bearer {new_token(client)}"}
    response = client.post("/api/v1/analyses", headers=headers, json=body(bcg))
    assert response.status_code == 202, response.get_json()
    run_id = response.get_json()["analysis"]["id"]
    run = client.get(f"/api/v1/analyses/{run_id}").get_json()
    assert run["status"] == "finished", run["error"]
    # the seed was chosen once and kept, so a rerun repeats the permutations
    seed = run["options"]["seed"]
    assert isinstance(seed, int) and run["options"]["test"] == "t"
    mr = run["results"]["meta_regression"]
    frame = pd.read_csv(io.StringIO(BCG_CSV))
    effects = analysis.effect_sizes_from_table(frame, "RR", BCG_COLUMNS, study="Study")
    expected = analyse_moderators(
        effects,
        {c: frame[c].tolist() for c in ("Latitude", "Allocation")},
        ["Latitude", "Allocation"],
        ["Allocation"],
        method="REML",
        test="t",
        permutations=50,
        seed=seed,
        predict_at=[{"Latitude": 20}],
    ).to_dict()
    assert mr["qm"] == expected["qm"] and mr["r2"] == expected["r2"]
    assert mr["permutation"] == expected["permutation"]
    assert mr["qm_distribution"] == "F" and mr["df"] == 13 - 4
    assert [c["name"] for c in mr["coefficients"]] == [
        "intercept",
        "Latitude",
        "Allocation: random",
        "Allocation: systematic",
    ]
    assert mr["predictions"][0]["at"] == {"Latitude": 20}
    assert "Each one-unit increase in Latitude" in mr["in_plain_words"]["Latitude"]
    assert run["results"]["pooled"]["test"] == "t"
    assert run["results"]["influence"]["in_plain_words"]

    # the downloads carry the numbers with their words
    rows = list(csv.reader(io.StringIO(client.get(f"/analyses/{run_id}/results.csv").text)))
    coefficient = next(r for r in rows if r[:2] == ["meta-regression coefficient", "Latitude"])
    assert float(coefficient[2]) == mr["coefficients"][1]["estimate"]
    assert coefficient[7].startswith("Each one-unit increase")
    assert any(r[0] == "influence" and r[1] == "1" for r in rows)
    assert any(r[:2] == ["statistic", "tau2_se"] for r in rows)
    assert any(r[0] == "subgroup test" for r in rows)

    # the bubble plot and the forest plot by subgroup are drawn and kept
    for plot in ("bubble", "subgroups"):
        response = client.get(f"/analyses/{run_id}/{plot}.svg")
        assert response.status_code == 200 and b"<svg" in response.data
        assert client.get(f"/analyses/{run_id}/{plot}.png").data[:4] == b"\x89PNG"
    page = client.get(f"/analyses/{run_id}").get_data(as_text=True)
    for words in (
        "Taken together, the moderators",
        "How is this computed?",
        'id="bubble-plot"',
        'id="influence-table"',
        "standard error",
    ):
        assert words in page


def test_a_meta_regression_request_that_cannot_run_is_refused_with_its_field(
    client, auth, bcg, member
):
    auth.login(member)
    headers = {"Authorization": f"Bearer {new_token(client)}"}
    cases = [
        ({"predict": [{"Year": 1970}]}, "predict"),
        ({"permutations": 1}, "permutations"),
    ]
    for options, field in cases:
        response = client.post("/api/v1/analyses", headers=headers, json=body(bcg, **options))
        assert response.status_code == 400, response.get_json()
        assert response.get_json()["error"]["field"] == field
    wrong = body(bcg)
    wrong["harmonisation"]["moderators"] = ["Latitude", "Nowhere"]
    response = client.post("/api/v1/analyses", headers=headers, json=wrong)
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "moderators"
    mh = {**body(bcg), "method": "MH", "options": {}}
    response = client.post("/api/v1/analyses", headers=headers, json=mh)
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "method"
    # nothing half-made is kept
    assert client.get("/api/v1/analyses", headers=headers).get_json()["items"] == []
