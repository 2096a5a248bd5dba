"""The certainty of evidence on a finished run: drafted on the results page, rated by its
owner with a reason through the pages, kept with the run and in the downloads; and the
new effect measures built through the builder's pages and the API."""

from __future__ import annotations

import csv
import io
import json
import re

import pandas as pd
import pytest

import analysis
from portal.reanalysis.models import AnalysisRun
from tests.portal.conftest import csrf_token
from tests.portal.reanalysis.conftest import new_token
from tests.portal.reanalysis.test_reanalysis import bcg_body, bearer, run_through_pages

PROPORTIONS_CSV = "study,cured,treated\nA,16,17\nB,10,12\nC,4,8\nD,0,9\nE,12,12\nF,7,30\n"
RATES_CSV = (
    "study,ev_t,pt_t,ev_c,pt_c\nA,7,1344,11,1988\nB,8,1600,8,1461\nC,3,12012,14,10962\n"
    "D,0,1344,2,1200\nE,5,3000,9,2870\n"
)


def finished_bcg_run(client, auth, bcg, member) -> int:
    auth.login(member)
    run_id, job = run_through_pages(client, bcg)
    assert job["state"] == "finished", job
    return run_id


def test_the_results_page_drafts_the_certainty_in_plain_words(client, auth, bcg, member, session):
    run_id = finished_bcg_run(client, auth, bcg, member)
    page = client.get(f"/analyses/{run_id}").get_data(as_text=True)
    assert "How sure can we be? Certainty of the evidence" in page
    drafted = analysis.certainty.draft(session.get(AnalysisRun, run_id).results)
    assert f"<strong>Certainty: {drafted.certainty}.</strong>" in page
    assert "risk of bias and indirectness have not been assessed yet" in page
    assert "How is this computed?" in page and 'id="certainty-form"' in page
    for label in ("Risk of bias", "Inconsistency", "Indirectness", "Imprecision"):
        assert f'<th scope="row">{label}</th>' in page


def test_the_owner_rates_a_domain_with_a_reason_and_it_is_kept(client, auth, bcg, member, session):
    run_id = finished_bcg_run(client, auth, bcg, member)
    url = f"/analyses/{run_id}/certainty"
    token = csrf_token(client, f"/analyses/{run_id}")
    # no reason: refused, nothing kept, what was typed shown again
    response = client.post(
        url,
        data={"csrf_token": token, "rating_risk_of_bias": "serious", "reason_risk_of_bias": ""},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Say why risk of bias is rated serious." in page
    assert '<option value="serious" selected>serious</option>' in page
    session.expire_all()
    assert session.get(AnalysisRun, run_id).certainty is None

    reason = "Alternate allocation in two trials."
    response = client.post(
        url,
        data={
            "csrf_token": token,
            "rating_risk_of_bias": "serious",
            "reason_risk_of_bias": reason,
        },
    )
    assert response.status_code == 303
    session.expire_all()
    run = session.get(AnalysisRun, run_id)
    assert run.certainty["risk_of_bias"]["rating"] == "serious"
    assert run.certainty["risk_of_bias"]["reason"] == reason
    assert run.certainty["risk_of_bias"]["by"] == member
    page = client.get(f"/analyses/{run_id}").get_data(as_text=True)
    assert reason in page and f"Set by {member}; the draft said not assessed." in page
    drafted = analysis.certainty.draft(run.results)
    assert f"Certainty: {analysis.certainty.CERTAINTY_LABELS[max(1, drafted.level - 1)]}." in page

    data = json.loads(client.get(f"/analyses/{run_id}/results.json").get_data(as_text=True))
    row = data["certainty"]["domains"][0]
    assert row["domain"] == "risk_of_bias" and row["rating"] == "serious"
    assert row["source"] == "analyst" and row["reason"] == reason
    rows = list(csv.reader(io.StringIO(client.get(f"/analyses/{run_id}/results.csv").text)))
    assert ["certainty", "Risk of bias", "serious", reason, "analyst", "", ""] in rows
    assert any(r[:2] == ["certainty", "overall"] for r in rows)

    # back to the draft
    response = client.post(url, data={"csrf_token": token, "rating_risk_of_bias": "draft"})
    assert response.status_code == 303
    session.expire_all()
    assert "risk_of_bias" not in session.get(AnalysisRun, run_id).certainty


def test_only_the_owner_rates_and_visitors_see_no_form(client, auth, bcg, member, make_user):
    run_id = finished_bcg_run(client, auth, bcg, member)
    auth.logout()
    page = client.get(f"/analyses/{run_id}").get_data(as_text=True)
    assert "Certainty of the evidence" in page and 'id="certainty-form"' not in page
    make_user("other")
    auth.login("other")
    token = csrf_token(client, f"/analyses/{run_id}")
    response = client.post(
        f"/analyses/{run_id}/certainty",
        data={"csrf_token": token, "rating_imprecision": "serious", "reason_imprecision": "x"},
    )
    assert response.status_code == 403


def test_a_proportion_analysis_through_the_builder_pages(client, auth, sharing, member, session):
    slug = sharing.share("Cure rates", PROPORTIONS_CSV)
    auth.login(member)
    response = client.post(
        "/analyses/new",
        data={
            "csrf_token": csrf_token(client, "/analyses/new"),
            "kind": "aggregate",
            "title": "Cure rates",
            "datasets": f"{slug}@1",
        },
    )
    map_url = response.headers["Location"]
    page = client.get(map_url).get_data(as_text=True)
    assert "Single-arm proportion: events and sample size per study (PLO, PR, PAS)" in page
    assert 'id="col_xi"' in page and 'id="col_x1i"' in page and 'id="col_ri"' in page
    response = client.post(
        map_url,
        data={
            "csrf_token": csrf_token(client, map_url),
            "study": "study",
            "col_xi": "cured",
            "col_ni": "treated",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    method_url = response.headers["Location"]
    page = client.get(method_url).get_data(as_text=True)
    assert "PLO: Proportion, log odds scale" in page
    # a measure whose columns are not mapped is refused before anything runs
    response = client.post(
        method_url,
        data={"csrf_token": csrf_token(client, method_url), "measure": "OR", "method": "REML"},
    )
    assert response.status_code == 400
    assert "Choose PLO or PR or PAS" in response.get_data(as_text=True)
    response = client.post(
        method_url,
        data={"csrf_token": csrf_token(client, method_url), "measure": "PLO", "method": "REML"},
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    run_id = int(re.search(r"/analyses/(\d+)/map", map_url)[1])
    run = session.get(AnalysisRun, run_id)
    frame = pd.read_csv(io.StringIO(PROPORTIONS_CSV))
    expected = analysis.pool(
        analysis.effect_sizes_from_table(
            frame, "PLO", {"xi": "cured", "ni": "treated"}, study="study"
        ),
        "REML",
    )
    assert run.status == "finished", run.error
    assert run.results["pooled"]["estimate"] == pytest.approx(expected.estimate, rel=1e-12)
    page = client.get(f"/analyses/{run_id}").get_data(as_text=True)
    assert "Proportion, log odds scale" in page
    assert "a single-group proportion has no" in page  # imprecision left to the analyst


def test_the_api_runs_a_mantel_haenszel_rate_ratio(client, auth, sharing, member):
    slug = sharing.share("Catheter infections", RATES_CSV)
    auth.login(member)
    token = new_token(client)
    columns = {"x1i": "ev_t", "t1i": "pt_t", "x2i": "ev_c", "t2i": "pt_c"}
    body = bcg_body(slug, measure="IRR", method="MH", title="Infection rates")
    body["harmonisation"] = {"columns": columns, "study": "study"}
    response = client.post("/api/v1/analyses", json=body, headers=bearer(token))
    assert response.status_code == 202, response.get_json()
    run_id = response.get_json()["analysis"]["id"]
    got = client.get(f"/api/v1/analyses/{run_id}").get_json()
    assert got["status"] == "finished", got["error"]
    frame = pd.read_csv(io.StringIO(RATES_CSV))
    expected = analysis.pool(
        analysis.effect_sizes_from_table(frame, "IRR", columns, study="study"), "MH"
    )
    assert got["results"]["pooled"]["estimate"] == pytest.approx(expected.estimate, rel=1e-12)
    assert got["results"]["pooled"]["extra"]["mh"] == pytest.approx(expected.extra["mh"])
    assert got["certainty"]["domains"][3]["domain"] == "imprecision"
