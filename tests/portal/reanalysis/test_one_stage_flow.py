"""One-stage participant-level pooling through the builder pages and the API: covariates,
row filters and the study effect are stored with the run, shown, and reproduced by a rerun."""

from __future__ import annotations

import re
from io import StringIO

import numpy as np
import pandas as pd
import pytest

import analysis
from portal.reanalysis.models import AnalysisRun
from tests.portal.conftest import csrf_token
from tests.portal.reanalysis.conftest import new_token


def trial(seed: int, n: int, arms: tuple[str, str], age_column: str) -> str:
    """Participants with an age and a sex; older patients have more events."""
    rng = np.random.default_rng(seed)
    treat = rng.integers(0, 2, n)
    age = rng.integers(25, 85, n)
    sex = rng.choice(["F", "M"], n)
    p = 1 / (1 + np.exp(-(-1.0 - 0.6 * treat + 0.03 * (age - 55) + 0.3 * (sex == "M"))))
    died = rng.random(n) < p
    frame = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "arm": np.where(treat == 1, arms[0], arms[1]),
            "died": np.where(died, "yes", "no"),
            age_column: age,
            "sex": sex,
        }
    )
    return frame.to_csv(index=False)


@pytest.fixture
def trials(sharing) -> dict[str, tuple[str, str]]:
    texts = {
        "Trial A": (trial(11, 160, ("active", "placebo"), "age"), "age"),
        "Trial B": (trial(12, 220, ("drug", "control"), "AGE_Y"), "AGE_Y"),
    }
    return {
        title: (sharing.share(title, text, level="participant"), text)
        for title, (text, _) in texts.items()
    }


def expected(trials, covariates=("age", "sex"), filters=("age >= 40",)):
    frames = {slug: pd.read_csv(StringIO(text)) for slug, text in trials.values()}
    (a, _), (b, _) = trials.values()
    h = analysis.Harmonisation(
        "binary",
        {
            a: analysis.DatasetMapping(
                arm="arm",
                treatment="active",
                control="placebo",
                outcome="died",
                event_values="yes",
                covariates={"age": "age", "sex": "sex"},
            ),
            b: analysis.DatasetMapping(
                arm="arm",
                treatment="drug",
                control="control",
                outcome="died",
                event_values="yes",
                covariates={"age": "AGE_Y", "sex": "sex"},
            ),
        },
        covariates=("age", "sex"),
        categorical=("sex",),
        missing="drop",
    )
    return analysis.one_stage(h.apply(frames), covariates=covariates, filters=filters)


def test_one_stage_through_the_pages_is_stored_shown_and_rerun_identically(
    client, auth, trials, member, session
):
    (a, _), (b, _) = trials.values()
    auth.login(member)
    response = client.post(
        "/analyses/new",
        data={
            "csrf_token": csrf_token(client, "/analyses/new?kind=participant"),
            "kind": "participant",
            "title": "Adjusted one-stage",
            "datasets": [f"{a}@1", f"{b}@1"],
        },
    )
    map_url = response.headers["Location"]
    run_id = int(re.search(r"/analyses/(\d+)/map", map_url)[1])
    assert 'name="d0_covariates"' in client.get(map_url).get_data(as_text=True)
    response = client.post(
        map_url,
        data={
            "csrf_token": csrf_token(client, map_url),
            "outcome_type": "binary",
            "categorical": "sex",
            "d0_arm": "arm",
            "d0_treatment": "active",
            "d0_control": "placebo",
            "d0_outcome": "died",
            "d0_event_values": "yes",
            "d0_covariates": "age, sex",
            "d1_arm": "arm",
            "d1_treatment": "drug",
            "d1_control": "control",
            "d1_outcome": "died",
            "d1_event_values": "yes",
            "d1_covariates": "age=AGE_Y, sex=sex",
        },
    )
    assert response.status_code == 303
    method_url = response.headers["Location"]
    page = client.get(method_url).get_data(as_text=True)
    assert "mapped: age, sex" in page and 'value="one-stage"' in page
    response = client.post(
        method_url,
        data={
            "csrf_token": csrf_token(client, method_url),
            "measure": "OR",
            "method": "FE",
            "stage": "one-stage",
            "covariates": "age, sex",
            "study_effect": "fixed",
            "filters": "age >= 40\n",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    job = client.get("/api/v1" + response.headers["Location"]).get_json()
    assert job["state"] == "finished", job

    run = session.get(AnalysisRun, run_id)
    assert run.options["stage"] == "one-stage"
    assert run.options["filters"] == [{"column": "age", "op": ">=", "value": "40"}]
    one = run.results["one_stage"]
    want = expected(trials)
    assert one["estimate"] == pytest.approx(want.estimate, rel=1e-10)
    assert one["se"] == pytest.approx(want.se, rel=1e-10)
    assert one["n"] == want.n and one["events"] == want.events and one["n"] < 380
    assert run.results["two_stage"]["adjusted_for"] == ["age", "sex"]

    page = client.get(f"/analyses/{run_id}").get_data(as_text=True)
    assert "One-stage estimate" in page and f"{want.n} participants" in page
    assert "One model of all participants (one-stage)" in page
    assert "Two-stage pooling of participant-level data" not in page
    assert "<code>age &gt;= 40</code>" in page and "adjusted for: age, sex" in page
    assert "age = <code>AGE_Y</code>" in page and "sex = <code>sex</code> (categorical)" in page
    csv = client.get(f"/analyses/{run_id}/results.csv").get_data(as_text=True)
    assert csv.count("one-stage") >= 2

    response = client.post(
        f"/analyses/{run_id}/rerun", data={"csrf_token": csrf_token(client, f"/analyses/{run_id}")}
    )
    job = client.get("/api/v1" + response.headers["Location"]).get_json()
    second = session.get(AnalysisRun, job["result"]["analysis"])
    assert second.options == run.options
    assert second.results["one_stage"]["estimate"] == one["estimate"]


def test_method_page_reports_bad_options_and_records_nothing(client, auth, trials, member, session):
    (a, _), _ = trials.values()
    auth.login(member)
    response = client.post(
        "/analyses/new",
        data={
            "csrf_token": csrf_token(client, "/analyses/new?kind=participant"),
            "kind": "participant",
            "title": "Bad",
            "datasets": f"{a}@1",
        },
    )
    map_url = response.headers["Location"]
    method_url = client.post(
        map_url,
        data={
            "csrf_token": csrf_token(client, map_url),
            "outcome_type": "binary",
            "d0_arm": "arm",
            "d0_treatment": "active",
            "d0_control": "placebo",
            "d0_outcome": "died",
            "d0_event_values": "yes",
            "d0_covariates": "age",
        },
    ).headers["Location"]
    for data, message in [
        ({"stage": "one-stage", "measure": "RR"}, "A one-stage model estimates"),
        ({"stage": "one-stage", "measure": "OR", "covariates": "weight"}, "is not mapped"),
        ({"stage": "one-stage", "measure": "OR", "filters": "age ~ 3"}, "cannot read the filter"),
        ({"stage": "two-stage", "measure": "OR", "study_effect": "random"}, "one-stage option"),
    ]:
        response = client.post(
            method_url, data={"csrf_token": csrf_token(client, method_url), "method": "FE", **data}
        )
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    run_id = int(re.search(r"/analyses/(\d+)/", method_url)[1])
    session.expire_all()
    assert session.get(AnalysisRun, run_id).status == "draft"


def test_the_api_runs_a_random_intercept_model_and_validates_options(client, auth, trials, member):
    (a, text_a), (b, text_b) = trials.values()
    auth.login(member)
    token = new_token(client)
    harmonisation = {
        "outcome_type": "continuous",
        "datasets": {
            a: {"arm": "arm", "treatment": "active", "control": "placebo", "outcome": "age"},
            b: {"arm": "arm", "treatment": "drug", "control": "control", "outcome": "AGE_Y"},
        },
    }
    body = {
        "title": "Age by arm",
        "kind": "participant",
        "datasets": [{"slug": a, "version": 1}, {"slug": b, "version": 1}],
        "harmonisation": harmonisation,
        "measure": "MD",
        "method": "REML",
        "options": {
            "stage": "one-stage",
            "study_effect": "random",
            "filters": [{"column": "y", "op": "<", "value": 80}],
        },
    }
    headers = {"Authorization": f"Bearer {token}"}
    response = client.post("/api/v1/analyses", headers=headers, json=body)
    assert response.status_code == 202, response.get_json()
    run = client.get(f"/api/v1/analyses/{response.get_json()['analysis']['id']}").get_json()
    assert run["status"] == "finished", run["error"]
    one = run["results"]["one_stage"]
    assert one["study_effect"] == "random" and one["df"] is None and one["tau2"] >= 0
    frames = [pd.read_csv(StringIO(t)) for t in (text_a, text_b)]
    n = sum(int((f.iloc[:, 3] < 80).sum()) for f in frames)
    assert one["n"] == n

    bad = {**body, "options": {"stage": "one-stage", "filters": [{"column": "y"}]}}
    response = client.post("/api/v1/analyses", headers=headers, json=bad)
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "filters"


def test_one_stage_stands_when_adjusted_per_study_estimates_cannot_be_computed(
    client, auth, sharing, member
):
    a = sharing.share("Mixed", trial(21, 200, ("active", "placebo"), "age"), level="participant")
    women = pd.read_csv(StringIO(trial(22, 200, ("active", "placebo"), "age"))).assign(sex="F")
    b = sharing.share("Women only", women.to_csv(index=False), level="participant")
    auth.login(member)
    token = new_token(client)
    mapping = {
        "arm": "arm",
        "treatment": "active",
        "control": "placebo",
        "outcome": "died",
        "event_values": ["yes"],
        "covariates": {"sex": "sex"},
    }
    body = {
        "title": "Sex-adjusted",
        "kind": "participant",
        "datasets": [{"slug": a, "version": 1}, {"slug": b, "version": 1}],
        "harmonisation": {
            "outcome_type": "binary",
            "categorical": ["sex"],
            "datasets": {a: mapping, b: mapping},
        },
        "measure": "OR",
        "method": "FE",
        "options": {"stage": "one-stage", "covariates": ["sex"]},
    }
    response = client.post(
        "/api/v1/analyses", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 202
    run = client.get(f"/api/v1/analyses/{response.get_json()['analysis']['id']}").get_json()
    assert run["status"] == "finished", run["error"]
    assert run["results"]["one_stage"]["adjusted_for"] == ["sex"]
    assert run["results"]["two_stage"]["adjusted_for"] == []
    assert "Per-study estimates are unadjusted" in run["results"]["two_stage"]["notes"][0]
    assert "single level" in run["results"]["two_stage"]["notes"][0]

    body["method"] = "MH"
    response = client.post(
        "/api/v1/analyses", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "method"


def test_binary_random_study_intercept_through_the_pages(client, auth, trials, member, session):
    (a, text_a), (b, text_b) = trials.values()
    auth.login(member)
    response = client.post(
        "/analyses/new",
        data={
            "csrf_token": csrf_token(client, "/analyses/new?kind=participant"),
            "kind": "participant",
            "title": "Mixed logistic",
            "datasets": [f"{a}@1", f"{b}@1"],
        },
    )
    map_url = response.headers["Location"]
    run_id = int(re.search(r"/analyses/(\d+)/map", map_url)[1])
    response = client.post(
        map_url,
        data={
            "csrf_token": csrf_token(client, map_url),
            "outcome_type": "binary",
            "d0_arm": "arm",
            "d0_treatment": "active",
            "d0_control": "placebo",
            "d0_outcome": "died",
            "d0_event_values": "yes",
            "d1_arm": "arm",
            "d1_treatment": "drug",
            "d1_control": "control",
            "d1_outcome": "died",
            "d1_event_values": "yes",
        },
    )
    method_url = response.headers["Location"]
    assert "Random study intercept (continuous and binary outcomes)" in client.get(
        method_url
    ).get_data(as_text=True)
    response = client.post(
        method_url,
        data={
            "csrf_token": csrf_token(client, method_url),
            "measure": "OR",
            "method": "FE",
            "stage": "one-stage",
            "study_effect": "random",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    job = client.get("/api/v1" + response.headers["Location"]).get_json()
    assert job["state"] == "finished", job

    one = session.get(AnalysisRun, run_id).results["one_stage"]
    frames = [pd.read_csv(StringIO(t)) for t in (text_a, text_b)]
    data = pd.concat(
        [
            pd.DataFrame(
                {
                    "study": i,
                    "treat": f["arm"].isin(["active", "drug"]).astype(float),
                    "y": (f["died"] == "yes").astype(float),
                }
            )
            for i, f in enumerate(frames)
        ]
    )
    want = analysis.one_stage(data, outcome_type="binary", study_effect="random")
    assert one["estimate"] == pytest.approx(want.estimate, rel=1e-10)
    assert one["random_sd"] == pytest.approx(np.sqrt(want.tau2), rel=1e-10, abs=1e-12)
    assert one["loglik"] == pytest.approx(want.loglik, rel=1e-12) and one["converged"]
    page = client.get(f"/analyses/{run_id}").get_data(as_text=True)
    assert "mixed logistic regression with a random study intercept" in page
    assert 'id="random-intercept-summary"' in page and "baseline risk" in page
    assert "How is this computed?" in page and "nAGQ = 7" in page
    csv = client.get(f"/analyses/{run_id}/results.csv").get_data(as_text=True)
    assert "in plain words" in csv and "loglik" in csv and "random_sd" in csv
