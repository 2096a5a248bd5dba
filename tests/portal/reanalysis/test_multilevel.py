"""Three-level meta-analysis through the builder's pages and the API: an uploaded table of
several effects per study gives metafor's rma.mv numbers (tests/analysis/reference/
multilevel_runs.R), shown in plain words and downloadable; a wrong choice is refused
beside its field."""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

import pytest

from portal.reanalysis.models import AnalysisRun
from tests.portal.conftest import csrf_token
from tests.portal.reanalysis.conftest import new_token

REFERENCE = Path(__file__).parents[2] / "analysis" / "reference"
COLUMNS = {"ai": "waward", "n1i": "wtotal", "ci": "maward", "n2i": "mtotal"}


def expected() -> dict[str, float]:
    with (REFERENCE / "multilevel_runs.csv").open() as handle:
        return {r["name"]: float(r["value"]) for r in csv.DictReader(handle)}


@pytest.fixture
def grants(sharing) -> str:
    return sharing.share(
        "Grant awards by gender", (REFERENCE / "multilevel_runs_data.csv").read_text()
    )


def check(stored: dict) -> None:
    want = expected()
    c = stored["coefficients"][0]
    assert c["estimate"] == pytest.approx(want["estimate"], rel=1e-6)
    assert c["ci_low"] == pytest.approx(want["ci_low"], rel=1e-6)
    assert c["ci_high"] == pytest.approx(want["ci_high"], rel=1e-6)
    for name in ("sigma2_study", "sigma2_within", "pi_low", "pi_high", "i2_study", "i2_within"):
        assert stored[name] == pytest.approx(want[name], rel=1e-6), name


def start(client, slug: str) -> tuple[int, str]:
    response = client.post(
        "/analyses/new",
        data={
            "csrf_token": csrf_token(client, "/analyses/new"),
            "kind": "aggregate",
            "title": "Grant awards",
            "datasets": f"{slug}@1",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    map_url = response.headers["Location"]
    return int(re.search(r"/analyses/(\d+)/map", map_url)[1]), map_url


def test_the_builder_offers_the_three_level_model_and_shows_it_in_words(
    client, auth, grants, member, session
):
    auth.login(member)
    run_id, map_url = start(client, grants)
    page = client.get(map_url).get_data(as_text=True)
    assert 'name="effect_id"' in page
    data = {"csrf_token": csrf_token(client, map_url), "study": "study", "effect_id": "obs"}
    data.update({f"col_{role}": column for role, column in COLUMNS.items()})
    response = client.post(map_url, data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    method_url = response.headers["Location"]
    assert 'id="multilevel"' in client.get(method_url).get_data(as_text=True)
    form = {
        "csrf_token": csrf_token(client, method_url),
        "measure": "OR",
        "method": "DL",
        "test": "z",
        "level": "0.95",
        "multilevel": "1",
    }
    refused = client.post(method_url, data=form)
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert "fitted by REML" in text and 'id="method-error"' in text
    assert re.search(r'id="multilevel" name="multilevel" value="1" checked', text)
    response = client.post(method_url, data={**form, "method": "REML"})
    assert response.status_code == 303, response.get_data(as_text=True)
    job = client.get("/api/v1" + response.headers["Location"]).get_json()
    assert job["state"] == "finished", job
    assert job["result"]["estimate"] == pytest.approx(expected()["estimate"], rel=1e-6)
    run = session.get(AnalysisRun, run_id)
    assert run.options["multilevel"] is True and run.harmonisation["effect_id"] == "obs"
    stored = run.results["multilevel"]
    check(stored)

    page = client.get(f"/analyses/{run_id}").get_data(as_text=True)
    assert "Pooled estimate (three-level model)" in page
    assert "66 effects in 21 studies" in page
    assert "Variance between studies" in page and "Variance within studies" in page
    assert f"<strong>{math.exp(expected()['estimate']):.3f}</strong>" in page
    assert "62% comes from differences between studies" in page
    assert "How is this computed?" in page and "rma.mv" in page
    assert "Leave-one-out" not in page  # the ordinary model's tables assume independent rows

    body = client.get(f"/analyses/{run_id}/results.csv").get_data(as_text=True)
    table = list(csv.reader(io.StringIO(body)))
    assert sum(r[0] == "effect" for r in table) == 66
    pooled = next(r for r in table if r[0] == "pooled")
    assert float(pooled[3]) == stored["coefficients"][0]["estimate"]
    between = next(r for r in table if r[1] == "sigma2_study")
    assert float(between[3]) == pytest.approx(expected()["sigma2_study"], rel=1e-6)
    assert between[7].startswith("How much the studies' true effects differ")
    data = client.get(f"/analyses/{run_id}/results.json").get_json()
    check(data["results"]["multilevel"])


def test_a_repeated_effect_id_fails_the_run_naming_the_study_and_column(
    client, auth, sharing, member, session
):
    text = (REFERENCE / "multilevel_runs_data.csv").read_text().splitlines()
    text[2] = text[2].replace('",2,', '",1,')  # Ackers (2000) has effect 1 twice
    slug = sharing.share("Grant awards, mistyped", "\n".join(text) + "\n")
    auth.login(member)
    token = new_token(client)
    body = {
        "title": "Grant awards",
        "datasets": [{"slug": slug, "version": 1}],
        "harmonisation": {"columns": COLUMNS, "study": "study", "effect_id": "obs"},
        "measure": "OR",
        "options": {"multilevel": True},
    }
    response = client.post(
        "/api/v1/analyses", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 202, response.get_json()
    run = response.get_json()["analysis"]
    got = client.get(f"/api/v1/analyses/{run['id']}").get_json()
    assert got["status"] == "failed"
    assert got["error"]["field"] == "effect_id" and got["error"]["study"] == "Ackers (2000)"
    page = client.get(f"/analyses/{run['id']}").get_data(as_text=True)
    assert "appears more than once in this study" in page


def test_the_api_runs_the_three_level_model_and_names_bad_fields(client, auth, grants, member):
    auth.login(member)
    token = new_token(client)
    headers = {"Authorization": f"Bearer {token}"}
    body = {
        "title": "Grant awards",
        "datasets": [{"slug": grants, "version": 1}],
        "harmonisation": {"columns": COLUMNS, "study": "study"},
        "measure": "OR",
        "options": {"multilevel": True},
    }
    for change, field in [
        ({"method": "PM"}, "method"),
        ({"options": {"multilevel": True, "test": "t"}}, "test"),
        ({"harmonisation": {"columns": COLUMNS}}, "study"),
        ({"harmonisation": {"columns": COLUMNS, "study": "study", "effect_id": "nope"}}, None),
        ({"options": {"multilevel": True, "reference": "A"}}, "options.reference"),
    ]:
        refused = client.post("/api/v1/analyses", json={**body, **change}, headers=headers)
        assert refused.status_code == 400, (change, refused.get_json())
        assert refused.get_json()["error"]["field"] == (field or "effect_id"), change
    response = client.post("/api/v1/analyses", json=body, headers=headers)
    assert response.status_code == 202, response.get_json()
    run = client.get(f"/api/v1/analyses/{response.get_json()['analysis']['id']}").get_json()
    assert run["status"] == "finished" and run["options"]["multilevel"] is True
    check(run["results"]["multilevel"])
    assert run["results"]["multilevel"]["in_plain_words"]["prediction"].startswith(
        "The true effect in a new study"
    )
