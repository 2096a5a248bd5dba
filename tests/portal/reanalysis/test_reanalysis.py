"""Pooled reanalysis: the pages step by step, the API, reruns, bad inputs and access rules."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pandas as pd
import pytest
from markupsafe import escape
from sqlalchemy import func, select

import analysis
from portal.jobs.models import Job
from portal.reanalysis.models import AnalysisRun
from portal.reanalysis.presenting import fmt_p
from tests.portal.conftest import csrf_token
from tests.portal.reanalysis.conftest import BCG_COLUMNS, BCG_CSV, BCG_REML, new_token, trial_csv


def bcg_pool(method: str = "REML", measure: str = "RR") -> analysis.MetaAnalysisResult:
    frame = pd.read_csv(StringIO(BCG_CSV))
    effects = analysis.effect_sizes_from_table(frame, measure, BCG_COLUMNS, study="Study")
    return analysis.pool(effects, method)


def bcg_body(slug: str, **overrides) -> dict:
    body = {
        "title": "BCG pooled",
        "kind": "aggregate",
        "datasets": [{"slug": slug, "version": 1}],
        "harmonisation": {"columns": BCG_COLUMNS, "study": "Study", "year": "Year"},
        "measure": "RR",
        "method": "REML",
        "options": {"hk": False, "level": 0.95},
    }
    body.update(overrides)
    return body


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def run_through_pages(
    client, slug: str, *, measure="RR", method="REML", hk=False, columns=BCG_COLUMNS
):
    """The wizard: choose the data, map the columns, choose the method; returns the job page."""
    page = client.get("/analyses/new?kind=aggregate").get_data(as_text=True)
    assert f'value="{slug}@1"' in page
    response = client.post(
        "/analyses/new",
        data={
            "csrf_token": csrf_token(client, "/analyses/new"),
            "kind": "aggregate",
            "title": "BCG through the pages",
            "datasets": f"{slug}@1",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    map_url = response.headers["Location"]
    run_id = int(re.search(r"/analyses/(\d+)/map", map_url)[1])
    page = client.get(map_url).get_data(as_text=True)
    for column in ("BCGTB", "BCGVacc", "NoVaccTB", "NoVacc", "Year"):
        assert f'<option value="{column}">' in page  # selects come from the version's schema
    data = {"csrf_token": csrf_token(client, map_url), "study": "Study", "year": "Year"}
    data.update({f"col_{role}": column for role, column in columns.items()})
    response = client.post(map_url, data=data)
    assert response.status_code == 303
    method_url = response.headers["Location"]
    data = {
        "csrf_token": csrf_token(client, method_url),
        "measure": measure,
        "method": method,
        "level": "0.95",
    }
    if hk:
        data["hk"] = "1"
    response = client.post(method_url, data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    job_url = response.headers["Location"]
    assert re.match(r"^/jobs/[0-9a-f]{32}$", job_url)
    return run_id, client.get("/api/v1" + job_url).get_json()


def test_an_aggregate_analysis_through_the_pages_gives_the_numbers_of_analysis_pool(
    client, auth, bcg, member, session
):
    auth.login(member)
    run_id, job = run_through_pages(client, bcg)
    assert job["state"] == "finished", job
    assert job["result"]["url"] == f"/analyses/{run_id}"
    run = session.get(AnalysisRun, run_id)
    assert run.status == "finished" and run.finished_at is not None
    pooled = run.results["pooled"]
    expected = bcg_pool()
    assert pooled["estimate"] == expected.estimate == pytest.approx(BCG_REML["estimate"], abs=1e-12)
    assert pooled["tau2"] == expected.tau2 == pytest.approx(BCG_REML["tau2"], abs=1e-12)
    assert [s["weight"] for s in pooled["studies"]] == list(expected.weights)
    assert run.inputs[0].sha256 == run.inputs[0].version.sha256
    assert run.software["analysis"] == analysis.provenance.ANALYSIS_VERSION

    page = client.get(f"/analyses/{run_id}").get_data(as_text=True)
    assert f"RR = {expected.estimate_exp:.3f}" in page  # exponentiated for a ratio measure
    assert "Leave-one-out" in page and "Cumulative meta-analysis" in page
    assert "Egger" in page and "Prediction interval" in page
    assert "95% CI 0.1197 to 1.1115 (Q-profile)" in page  # metafor's confint() on dat.bcg
    assert "CI 81.9% to " in page and "H²" in page
    assert f'src="/analyses/{run_id}/forest.svg"' in page
    assert f'src="/analyses/{run_id}/funnel.svg"' in page
    assert f'href="/datasets/{bcg}?version=1"' in page and run.inputs[0].sha256 in page
    assert len(run.results["leave_one_out"]["rows"]) == 13
    assert run.results["cumulative"]["rows"][0]["study"] == "1"  # 1948 first
    egger = analysis.egger_test(
        analysis.effect_sizes_from_table(
            pd.read_csv(StringIO(BCG_CSV)), "RR", BCG_COLUMNS, study="Study"
        ),
        "REML",
    )
    assert run.results["egger"]["pvalue"] == pytest.approx(egger.pvalue, abs=1e-12)
    # the other small-study checks, in words, with the numbers the run kept
    trim = run.results["trimfill"]
    assert f"on the {trim['side']} side of the funnel plot" in page
    if trim["k0"]:
        assert f"would be {trim['estimate_exp']:.3f}" in page
    assert f"Kendall's τ = {run.results['ranktest']['tau']:.3f}" in page
    rosenthal = run.results["fsn"]["rosenthal"]
    assert f"Fail-safe N (Rosenthal): {rosenthal['fsnum']:g} unpublished studies" in page


def test_plots_are_drawn_once_and_kept(app, client, auth, bcg, member, monkeypatch, session):
    from analysis import plots
    from portal.reanalysis import figures

    auth.login(member)
    run_id, _ = run_through_pages(client, bcg)
    run = session.get(AnalysisRun, run_id)
    # the job drew what the results page shows
    for plot in figures.PLOTS:
        assert figures.path(app, run, plot, "svg").read_bytes().startswith(b"<?xml")
    png = client.get(f"/analyses/{run_id}/forest.png")
    assert png.status_code == 200 and figures.path(app, run, "forest", "png").exists()

    drawn: list[str] = []
    for name in ("forest_plot", "funnel_plot"):
        original = getattr(plots, name)
        monkeypatch.setattr(
            plots, name, lambda *a, _f=original, _n=name, **k: drawn.append(_n) or _f(*a, **k)
        )
    again = client.get(f"/analyses/{run_id}/forest.png")
    assert again.data == png.data
    assert client.get(f"/analyses/{run_id}/funnel.svg").status_code == 200
    assert drawn == []
    etag = again.headers["ETag"]
    conditional = client.get(f"/analyses/{run_id}/forest.png", headers={"If-None-Match": etag})
    assert conditional.status_code == 304

    # a new title is printed on the plot: it is drawn anew under another name
    run.title = "BCG vaccine, retitled"
    session.commit()
    assert client.get(f"/analyses/{run_id}/forest.png").status_code == 200
    assert drawn == ["forest_plot"]


def test_plots_and_downloads_are_served_with_their_types(client, auth, bcg, member):
    auth.login(member)
    run_id, _ = run_through_pages(client, bcg)
    auth.logout()  # anyone may read a finished run of published data
    for name, mimetype, start in [
        ("forest.svg", "image/svg+xml", b"<?xml"),
        ("funnel.svg", "image/svg+xml", b"<?xml"),
        ("forest.png", "image/png", b"\x89PNG"),
        ("funnel.pdf", "application/pdf", b"%PDF"),
    ]:
        response = client.get(f"/analyses/{run_id}/{name}")
        assert response.status_code == 200
        assert response.mimetype == mimetype and response.data.startswith(start)
    assert b"<svg" in client.get(f"/analyses/{run_id}/forest.svg").data
    csv_text = client.get(f"/analyses/{run_id}/results.csv").get_data(as_text=True)
    assert csv_text.splitlines()[0].startswith("row,study,yi")
    assert str(BCG_REML["estimate"])[:12] in csv_text
    document = client.get(f"/analyses/{run_id}/results.json").get_json()
    assert document["results"]["pooled"]["tau2"] == pytest.approx(BCG_REML["tau2"], abs=1e-12)


def test_a_rerun_on_the_same_versions_gives_identical_numbers(client, auth, bcg, member, session):
    auth.login(member)
    run_id, _ = run_through_pages(client, bcg)
    page_url = f"/analyses/{run_id}"
    response = client.post(f"{page_url}/rerun", data={"csrf_token": csrf_token(client, page_url)})
    assert response.status_code == 303
    job = client.get("/api/v1" + response.headers["Location"]).get_json()
    assert job["state"] == "finished"
    first = session.get(AnalysisRun, run_id)
    second = session.get(AnalysisRun, job["result"]["analysis"])
    assert second.id != first.id and second.rerun_of_id == first.id
    assert [(i.version_id, i.sha256) for i in second.inputs] == [
        (i.version_id, i.sha256) for i in first.inputs
    ]
    assert second.harmonisation == first.harmonisation
    assert second.results == first.results
    assert second.results == first.results


def test_a_finished_run_never_changes(client, auth, bcg, member, session):
    auth.login(member)
    run_id, _ = run_through_pages(client, bcg)
    before = session.get(AnalysisRun, run_id).results
    url = f"/analyses/{run_id}/method"
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/analyses/{run_id}")
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, f"/analyses/{run_id}"),
            "measure": "OR",
            "method": "FE",
        },
    )
    assert response.status_code == 302
    session.expire_all()
    run = session.get(AnalysisRun, run_id)
    assert (run.measure, run.method, run.results) == ("RR", "REML", before)


def test_the_api_creates_runs_lists_them_and_gives_results(client, auth, bcg, member):
    auth.login(member)
    token = new_token(client)
    auth.logout()
    body = bcg_body(bcg, method="DL", options={"hk": True})
    body["harmonisation"]["subgroup"] = "Allocation"
    response = client.post("/api/v1/analyses", json=body, headers=bearer(token))
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert body["job"]["state"] == "finished"
    run_id = body["analysis"]["id"]
    got = client.get(f"/api/v1/analyses/{run_id}").get_json()
    effects = analysis.effect_sizes_from_table(
        pd.read_csv(StringIO(BCG_CSV)), "RR", BCG_COLUMNS, study="Study"
    )
    expected = analysis.pool(effects, "DL", hk=True)
    assert got["status"] == "finished" and got["options"] == {"hk": True, "level": 0.95}
    assert got["results"]["pooled"]["estimate"] == expected.estimate
    assert got["results"]["pooled"]["ci_low"] == expected.ci_low
    assert got["results"]["pooled"]["df"] == 12
    assert got["datasets"][0]["slug"] == bcg and len(got["datasets"][0]["sha256"]) == 64
    subgroups = analysis.subgroup_analysis(
        effects, pd.read_csv(StringIO(BCG_CSV))["Allocation"], "DL", hk=True
    )
    stored = got["results"]["subgroups"]
    assert [g["group"] for g in stored["subgroups"]] == list(subgroups.groups)
    assert stored["test_for_subgroup_differences"]["pvalue"] == pytest.approx(subgroups.pvalue)
    page = client.get(f"/analyses/{run_id}").get_data(as_text=True)
    assert "Subgroups (by Allocation)" in page and "Test for subgroup differences" in page
    listing = client.get("/api/v1/analyses").get_json()
    assert [item["id"] for item in listing["items"]] == [run_id]
    assert "results" not in listing["items"][0]


def test_a_participant_level_two_stage_analysis_pools_harmonised_trials(
    client, auth, sharing, member
):
    a = sharing.share(
        "Trial A",
        trial_csv(("active", "placebo"), ("yes", "no"), (5, 30, 12, 30)),
        level="participant",
    )
    b = sharing.share(
        "Trial B", trial_csv(("1", "2"), ("1", "0"), (3, 25, 9, 25)), level="participant"
    )
    auth.login(member)
    token = new_token(client)
    harmonisation = {
        "outcome_type": "binary",
        "datasets": {
            a: {
                "arm": "arm",
                "treatment": "active",
                "control": "placebo",
                "outcome": "outcome",
                "event_values": ["yes"],
            },
            b: {"arm": "arm", "treatment": "1", "control": "2", "outcome": "outcome"},
        },
    }
    response = client.post(
        "/api/v1/analyses",
        headers=bearer(token),
        json={
            "title": "Two trials",
            "kind": "participant",
            "datasets": [{"slug": a, "version": 1}, {"slug": b, "version": 1}],
            "harmonisation": harmonisation,
            "measure": "OR",
            "method": "DL",
        },
    )
    body = response.get_json()
    assert response.status_code == 202 and body["job"]["state"] == "finished", body
    run = client.get(f"/api/v1/analyses/{body['analysis']['id']}").get_json()
    expected = analysis.binary_effect_sizes(
        [5, 3], [30, 25], [12, 9], [30, 25], "OR", labels=[a, b]
    )
    pooled = analysis.pool(expected, "DL")
    assert run["results"]["pooled"]["estimate"] == pytest.approx(pooled.estimate, abs=1e-12)
    assert [s["study"] for s in run["results"]["pooled"]["studies"]] == [a, b]
    assert run["results"]["two_stage"]["participants"] == 110
    assert run["results"]["egger"]["unavailable"].startswith("Egger's test needs at least 3")
    page = client.get(f"/analyses/{run['id']}").get_data(as_text=True)
    assert "Two-stage pooling of participant-level data" in page and "Egger" in page


def test_the_mapping_page_offers_the_top_values_of_each_column(client, auth, sharing, member):
    a = sharing.share(
        "Trial A",
        trial_csv(("active", "placebo"), ("yes", "no"), (5, 30, 12, 30)),
        level="participant",
    )
    auth.login(member)
    response = client.post(
        "/analyses/new",
        data={
            "csrf_token": csrf_token(client, "/analyses/new?kind=participant"),
            "kind": "participant",
            "title": "One trial",
            "datasets": f"{a}@1",
        },
    )
    map_url = response.headers["Location"]
    page = client.get(map_url).get_data(as_text=True)
    assert '<optgroup label="arm">' in page and '<option value="placebo"' in page
    response = client.post(
        map_url,
        data={
            "csrf_token": csrf_token(client, map_url),
            "outcome_type": "binary",
            "d0_arm": "arm",
            "d0_treatment": "active",
            "d0_control": "placebo",
            "d0_outcome": "outcome",
            "d0_event_values": "yes",
        },
    )
    method_url = response.headers["Location"]
    response = client.post(
        method_url,
        data={"csrf_token": csrf_token(client, method_url), "measure": "RR", "method": "MH"},
    )
    job = client.get("/api/v1" + response.headers["Location"]).get_json()
    assert job["state"] == "finished", job
    run = client.get(f"/api/v1/analyses/{job['result']['analysis']}").get_json()
    expected = analysis.pool(analysis.binary_effect_sizes([5], [30], [12], [30], "RR"), "MH")
    assert run["results"]["pooled"]["estimate"] == pytest.approx(expected.estimate, abs=1e-12)


NEGATIVE_SD_CSV = (
    "trial,m1,s1,n1,m2,s2,n2\nA,5.1,1.2,40,4.2,1.1,41\n"
    "B,4.8,-0.9,35,4.0,1.0,33\nC,5.5,1.4,50,4.9,1.3,52\n"
)
CONTINUOUS = {"m1i": "m1", "sd1i": "s1", "n1i": "n1", "m2i": "m2", "sd2i": "s2", "n2i": "n2"}


def test_a_mapping_naming_a_missing_column_is_refused_before_anything_is_recorded(
    client, auth, sharing, member, session
):
    slug = sharing.share("BCG", BCG_CSV)
    body = bcg_body(slug, harmonisation={"columns": {**BCG_COLUMNS, "ai": "TB"}, "study": "Study"})
    auth.login(member)
    response = client.post("/api/v1/analyses", json=body, headers=bearer(new_token(client)))
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["field"] == "ai", error
    assert "Column 'TB' chosen for Events, treatment is not in this dataset" in error["message"]
    assert session.scalar(select(func.count()).select_from(AnalysisRun)) == 0
    assert session.scalar(select(func.count()).where(Job.kind == "analysis.run")) == 0


@pytest.mark.parametrize(
    "case", ["non-numeric count", "events over totals", "negative SD", "empty arm"]
)
def test_bad_inputs_fail_the_run_naming_the_study_and_the_field(
    case, client, auth, sharing, member, session
):
    if case == "non-numeric count":
        slug = sharing.share("BCG", BCG_CSV.replace("4,62,13598", "4,sixty-two,13598"))
        body = bcg_body(slug)
        study, field, words = "4", "ai (BCGTB)", "expected a number, got 'sixty-two'"
    elif case == "events over totals":
        slug = sharing.share("BCG", BCG_CSV.replace("3,3,231,11,220", "3,3,231,311,220"))
        body = bcg_body(slug)
        study, field = "3", "ci (NoVaccTB)"
        words = "events exceed the arm total (ci=311 > n2i=220)"
    elif case == "negative SD":
        slug = sharing.share("Means", NEGATIVE_SD_CSV)
        body = bcg_body(slug, measure="MD", harmonisation={"columns": CONTINUOUS, "study": "trial"})
        study, field, words = "B", "sd1i (s1)", "standard deviation is negative (-0.9)"
    else:
        slug = sharing.share(
            "Trial A",
            trial_csv(("active", "placebo"), ("yes", "no"), (5, 30, 12, 30)),
            level="participant",
        )
        body = bcg_body(
            slug,
            kind="participant",
            measure="OR",
            harmonisation={
                "outcome_type": "binary",
                "datasets": {
                    slug: {
                        "arm": "arm",
                        "treatment": "active",
                        "control": "Placebo",
                        "outcome": "outcome",
                        "event_values": ["yes"],
                    }
                },
            },
        )
        study, field, words = slug, "arm", "the control arm is empty"
    auth.login(member)
    token = new_token(client)
    response = client.post("/api/v1/analyses", json=body, headers=bearer(token))
    assert response.status_code == 202
    answer = response.get_json()
    assert answer["job"]["state"] == "failed"
    error = answer["job"]["error"]
    assert f"study {study!r}" in error and f"field {field!r}" in error
    assert words in answer["job"]["error"]
    run = session.get(AnalysisRun, answer["analysis"]["id"])
    assert (run.status, run.error_study, run.error_field) == ("failed", study, field)
    assert run.results == {} and run.error == answer["job"]["error"]
    assert (
        session.scalar(
            select(func.count()).select_from(AnalysisRun).where(AnalysisRun.status == "finished")
        )
        == 0
    )
    assert answer["job"]["result"] == {"url": f"/analyses/{run.id}"}  # the job page goes there
    page = client.get(f"/analyses/{run.id}").get_data(as_text=True)
    assert "This analysis could not be computed" in page and "Edit and run again" in page
    assert str(escape(words)) in page and f"<code>{field}</code>" in page
    assert client.get(f"/analyses/{run.id}/forest.svg").status_code == 404


def test_unknown_and_unpublished_versions_are_refused_and_nothing_is_recorded(
    client, auth, sharing, member, session
):
    published = sharing.share("BCG", BCG_CSV)
    draft = sharing.share("BCG draft", BCG_CSV, publish=False)
    auth.login("rita")  # the owner of the draft may not analyse it either until it is published
    token = new_token(client)
    for body, status, field in [
        (bcg_body(published, datasets=[{"slug": published, "version": 7}]), 404, "datasets[0]"),
        (
            bcg_body(published, datasets=[{"slug": "no-such-data", "version": 1}]),
            404,
            "datasets[0]",
        ),
        (bcg_body(draft, datasets=[{"slug": draft, "version": 1}]), 409, "datasets[0]"),
    ]:
        response = client.post("/api/v1/analyses", json=body, headers=bearer(token))
        assert response.status_code == status
        assert response.get_json()["error"]["field"] == field
    assert "not published" in response.get_json()["error"]["message"]
    assert session.scalar(select(func.count()).select_from(AnalysisRun)) == 0
    assert (
        session.scalar(select(func.count()).select_from(Job).where(Job.kind == "analysis.run")) == 0
    )


def test_another_members_draft_version_cannot_be_analysed(client, auth, sharing, member, session):
    draft = sharing.share("BCG draft", BCG_CSV, publish=False)
    auth.login(member)
    token = new_token(client)
    response = client.post("/api/v1/analyses", json=bcg_body(draft), headers=bearer(token))
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    response = client.post(
        "/analyses/new",
        data={
            "csrf_token": csrf_token(client, "/analyses/new"),
            "kind": "aggregate",
            "title": "Sneaky",
            "datasets": f"{draft}@1",
        },
    )
    assert response.status_code == 400
    assert f"No dataset &#39;{draft}&#39;" in response.get_data(as_text=True)
    page = client.get("/analyses/new").get_data(as_text=True)
    assert draft not in page
    assert session.scalar(select(func.count()).select_from(AnalysisRun)) == 0


def test_visitors_read_finished_runs_but_only_members_create_them(
    client, auth, bcg, member, make_user, session
):
    response = client.get("/analyses/new")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.post(
        "/api/v1/analyses", json=bcg_body(bcg), headers={"Authorization": "Bearer orp_not-a-token"}
    )
    assert response.status_code == 401
    auth.login(member)
    read_only = new_token(client, scope="read")
    response = client.post("/api/v1/analyses", json=bcg_body(bcg), headers=bearer(read_only))
    assert response.status_code == 403
    # a draft run is its owner's alone
    response = client.post(
        "/analyses/new",
        data={
            "csrf_token": csrf_token(client, "/analyses/new"),
            "kind": "aggregate",
            "title": "Private draft",
            "datasets": f"{bcg}@1",
        },
    )
    draft_id = int(re.search(r"/analyses/(\d+)/map", response.headers["Location"])[1])
    run_id, _ = run_through_pages(client, bcg)
    auth.logout()
    assert client.get(f"/analyses/{draft_id}").status_code == 404
    assert client.get(f"/api/v1/analyses/{draft_id}").status_code == 404
    assert client.get(f"/analyses/{run_id}").status_code == 200
    assert client.get(f"/api/v1/analyses/{run_id}").get_json()["status"] == "finished"
    make_user("other")
    auth.login("other")
    assert client.get(f"/analyses/{draft_id}/map").status_code == 404
    index = client.get("/analyses/").get_data(as_text=True)
    assert "BCG through the pages" in index and "Private draft" not in index


def test_finished_runs_are_listed_on_the_home_page_and_on_their_dataset(client, auth, bcg, member):
    auth.login(member)
    run_id, _ = run_through_pages(client, bcg)
    auth.logout()
    home = client.get("/").get_data(as_text=True)
    assert "Latest analyses" in home and f'href="/analyses/{run_id}"' in home
    dataset_page = client.get(f"/datasets/{bcg}").get_data(as_text=True)
    assert "Analyses that use this dataset" in dataset_page
    assert f'href="/analyses/{run_id}"' in dataset_page


def test_demo_load_runs_the_demo_analyses_once(runner, session):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    runs = session.scalars(select(AnalysisRun).order_by(AnalysisRun.id)).all()
    assert [(r.kind, r.status, r.error) for r in runs] == [
        ("aggregate", "finished", ""),
        ("participant", "finished", ""),
        ("participant", "finished", ""),
    ]
    one = runs[2].results["one_stage"]
    assert one["n_studies"] == 3 and one["adjusted_for"] == ["sex", "risk"]
    assert one["model"].startswith("logistic regression with study fixed effects")
    assert runs[0].results["pooled"]["estimate"] == pytest.approx(BCG_REML["estimate"], abs=1e-10)
    assert runs[0].results["pooled"]["tau2"] == pytest.approx(BCG_REML["tau2"], abs=1e-10)
    assert runs[1].results["pooled"]["k"] == 4  # the four centres of the indomethacin trial
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0 and "Demo analyses: 0 run." in second.output
    assert session.scalar(select(func.count()).select_from(AnalysisRun)) == 3


def test_demo_analyses_are_drawn_by_the_first_request_for_each_plot(app, runner, session, client):
    """The demo load records the results alone; `make run` reaches its first page sooner."""
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    plots = Path(app.config["DATA_DIR"]) / "plots"
    assert not plots.exists() or not any(plots.rglob("*.svg"))
    run = session.scalars(select(AnalysisRun).order_by(AnalysisRun.id)).first()
    assert run is not None
    page = client.get(f"/analyses/{run.id}").get_data(as_text=True)
    assert f"/analyses/{run.id}/forest.svg" in page
    forest = client.get(f"/analyses/{run.id}/forest.svg")
    assert forest.status_code == 200 and forest.mimetype == "image/svg+xml"
    assert b"<svg" in forest.data
    assert [p.name.split("-")[0] for p in (plots / str(run.id)).iterdir()] == ["forest"]


def survival_csv(seed: int, hazard_ratio: float) -> str:
    import numpy as np

    rng = np.random.default_rng(seed)
    rows = ["id,group,days,died"]
    for i in range(80):
        treated = i % 2 == 0
        time = rng.exponential(300 / (hazard_ratio if treated else 1.0))
        died = int(time < 400)
        rows.append(f"{i + 1},{'drug' if treated else 'control'},{min(time, 400):.1f},{died}")
    return "\n".join(rows) + "\n"


def test_time_to_event_trials_are_pooled_as_log_hazard_ratios(client, auth, sharing, member):
    texts = {"Survival one": survival_csv(1, 0.6), "Survival two": survival_csv(2, 0.8)}
    slugs = {
        title: sharing.share(title, text, level="participant") for title, text in texts.items()
    }
    auth.login(member)
    token = new_token(client)
    mapping = {
        "arm": "group",
        "treatment": "drug",
        "control": "control",
        "time": "days",
        "event": "died",
    }
    response = client.post(
        "/api/v1/analyses",
        headers=bearer(token),
        json={
            "title": "Survival pooled",
            "kind": "participant",
            "datasets": [{"slug": slug, "version": 1} for slug in slugs.values()],
            "harmonisation": {
                "outcome_type": "time-to-event",
                "datasets": {slug: mapping for slug in slugs.values()},
            },
            "measure": "HR",
            "method": "FE",
        },
    )
    body = response.get_json()
    assert body["job"]["state"] == "finished", body
    frames = {slug: pd.read_csv(StringIO(texts[title])) for title, slug in slugs.items()}
    harmonisation = analysis.Harmonisation(
        "time-to-event",
        {slug: analysis.DatasetMapping(**mapping, study_label=slug) for slug in frames},
    )
    expected = analysis.two_stage(harmonisation.apply(frames), "HR", "FE")
    run = client.get(f"/api/v1/analyses/{body['analysis']['id']}").get_json()
    assert run["results"]["pooled"]["estimate"] == pytest.approx(
        expected.pooled.estimate, abs=1e-10
    )
    assert run["results"]["two_stage"]["stage1"].startswith("Cox proportional hazards")
    assert client.get(f"/analyses/{run['id']}/forest.svg").mimetype == "image/svg+xml"


@pytest.mark.parametrize(
    ("value", "shown"),
    [(1.99e-26, "< 0.0001"), (0.0001, "= 0.0001"), (0.04512, "= 0.0451"), (None, "= –")],
)
def test_p_values_are_printed_as_journals_print_them(value, shown):
    assert fmt_p(value) == shown
