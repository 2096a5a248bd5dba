"""The builder without dead ends (pre-filled mapping, each step checked, edit into a new
run) and living analyses (newer data announced, run on it, the change in every number,
followers told)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.community.notifications.models import Notification
from portal.reanalysis import living
from portal.reanalysis.models import AnalysisRun
from tests.portal.conftest import csrf_token
from tests.portal.fixtures import body_of
from tests.portal.reanalysis.conftest import NAMED_COLUMNS, NAMED_CSV, new_token, trial_csv

#: Twelve trials in version 1; version 2 adds the thirteenth.
V1_CSV = "".join(NAMED_CSV.splitlines(keepends=True)[:-1])


def body(slug: str, columns: dict, version: int = 1) -> dict:
    return {
        "title": "BCG, living",
        "kind": "aggregate",
        "datasets": [{"slug": slug, "version": version}],
        "harmonisation": {"columns": columns, "study": "study", "year": "Year"},
        "measure": "RR",
        "method": "REML",
    }


def start(client, slug: str, title: str = "Pre-filled") -> str:
    response = client.post(
        "/analyses/new",
        data={
            "csrf_token": csrf_token(client, "/analyses/new"),
            "kind": "aggregate",
            "title": title,
            "datasets": f"{slug}@1",
        },
    )
    assert response.status_code == 303
    return response.headers["Location"]


def selected(page: str, name: str) -> str | None:
    """The chosen option of the select ``name``."""
    block = re.search(rf'<select id="{name}" name="{name}".*?</select>', page, re.S)
    assert block, name
    match = re.search(r'<option value="([^"]*)" selected>', block.group(0))
    return match.group(1) if match else None


def test_the_mapping_is_prefilled_and_each_step_refuses_what_could_not_run_keeping_it(
    client, auth, sharing, member, session
):
    slug = sharing.share("BCG named", NAMED_CSV)
    auth.login(member)
    map_url = start(client, slug)
    page = client.get(map_url).get_data(as_text=True)
    assert 'id="mapping-suggested"' in page
    for role, column in NAMED_COLUMNS.items():
        assert selected(page, f"col_{role}") == column
    assert (selected(page, "study"), selected(page, "year")) == ("study", "Year")

    # an incomplete mapping is refused next to the missing field, the rest kept
    token = csrf_token(client, map_url)
    data = {"csrf_token": token, "study": "study", "year": "Year"}
    data.update({f"col_{r}": c for r, c in NAMED_COLUMNS.items() if r != "n2i"})
    response = client.post(map_url, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert '<p class="field-error" id="col_n2i-error">Choose the column for Total, control' in page
    assert 'aria-describedby="col_n2i-error"' in page
    assert selected(page, "col_ai") == "events_treat" and selected(page, "col_n2i") is None
    run_id = int(re.search(r"/analyses/(\d+)/map", map_url)[1])
    assert session.get(AnalysisRun, run_id).harmonisation == {}

    # nothing chosen at all
    response = client.post(map_url, data={"csrf_token": token})
    assert response.status_code == 400
    assert 'id="columns-error">Choose the columns of the outcome' in response.get_data(as_text=True)

    data["col_n2i"] = "n_ctrl"
    response = client.post(map_url, data=data)
    assert response.status_code == 303
    method_url = response.headers["Location"]

    # a measure the mapping cannot give, and a level that is no number: refused, kept
    token = csrf_token(client, method_url)
    response = client.post(
        method_url, data={"csrf_token": token, "measure": "MD", "method": "DL", "level": "0.9"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="measure-error">Mean difference is computed from' in page
    assert "Choose OR or RR or RD, or map those columns first." in page
    assert 'id="method-DL" name="method" value="DL" checked' in page
    response = client.post(
        method_url, data={"csrf_token": token, "measure": "RR", "method": "DL", "level": "9x"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'id="level-error"' in page
    assert 'name="level" value="9x"' in page and 'value="RR" checked' in page
    response = client.post(
        method_url, data={"csrf_token": token, "measure": "RR", "method": "DL", "level": "0.95"}
    )
    assert response.status_code == 303
    assert session.get(AnalysisRun, run_id).status == "finished"


def test_a_failed_run_is_edited_into_a_new_run_and_itself_stays_as_it_was(
    client, auth, sharing, member, make_user, session
):
    slug = sharing.share("BCG named", NAMED_CSV)
    auth.login(member)
    swapped = {**NAMED_COLUMNS, "ai": "n_treat", "n1i": "events_treat"}
    answer = client.post(
        "/api/v1/analyses",
        json=body(slug, swapped),
        headers={"Authorization": f"Bearer {new_token(client)}"},
    ).get_json()
    failed_id = answer["analysis"]["id"]
    assert answer["job"]["state"] == "failed"
    page = client.get(f"/analyses/{failed_id}").get_data(as_text=True)
    assert "<h2>This analysis could not be computed</h2>" in page
    assert "Events exceed the arm total" in page
    assert "the column for events, treatment (“n_treat”)" in page
    assert "check the mapping of the variables" in page and "Internal" not in page
    assert f'action="/analyses/{failed_id}/edit"' in page

    # the failed run cannot be changed in place: its builder sends back to its page
    response = client.get(f"/analyses/{failed_id}/map")
    assert response.status_code == 302
    assert client.get(response.headers["Location"]).status_code == 200

    page_url = f"/analyses/{failed_id}"
    response = client.post(f"{page_url}/edit", data={"csrf_token": csrf_token(client, page_url)})
    assert response.status_code == 303
    map_url = response.headers["Location"]
    draft_id = int(re.search(r"/analyses/(\d+)/map", map_url)[1])
    assert draft_id != failed_id
    page = client.get(map_url).get_data(as_text=True)
    assert "made from analysis" in page
    assert selected(page, "col_ai") == "n_treat"  # the failed run's own mapping, to fix
    data = {"csrf_token": csrf_token(client, map_url), "study": "study", "year": "Year"}
    data.update({f"col_{r}": c for r, c in NAMED_COLUMNS.items()})
    method_url = client.post(map_url, data=data).headers["Location"]
    page = client.get(method_url).get_data(as_text=True)
    assert 'value="RR" checked' in page and 'value="REML" checked' in page
    response = client.post(
        method_url,
        data={"csrf_token": csrf_token(client, method_url), "measure": "RR", "method": "REML"},
    )
    assert response.status_code == 303
    session.expire_all()
    draft, failed = session.get(AnalysisRun, draft_id), session.get(AnalysisRun, failed_id)
    assert draft.status == "finished" and draft.rerun_of_id == failed_id
    assert failed.status == "failed" and failed.harmonisation["columns"]["ai"] == "n_treat"

    # another member cannot see (so cannot edit) someone's failed run
    make_user("nell")
    auth.logout()
    auth.login("nell")
    token = csrf_token(client, "/analyses/")
    assert client.post(f"{page_url}/edit", data={"csrf_token": token}).status_code == 404


def test_a_newer_published_version_is_announced_run_compared_and_followers_told(
    app, client, auth, sharing, member, make_user, session, mailbox
):
    slug = sharing.share("BCG named", V1_CSV)
    auth.login(member)
    answer = client.post(
        "/api/v1/analyses",
        json=body(slug, NAMED_COLUMNS),
        headers={"Authorization": f"Bearer {new_token(client)}"},
    ).get_json()
    old_id = answer["analysis"]["id"]
    assert answer["job"]["state"] == "finished"
    auth.logout()
    make_user("fern")
    auth.login("fern")
    page_url = f"/analyses/{old_id}"
    response = client.post(
        f"{page_url}/follow", data={"csrf_token": csrf_token(client, page_url), "email": "1"}
    )
    assert response.status_code == 303
    assert "You follow this analysis and get e-mails" in client.get(page_url).get_data(as_text=True)
    auth.logout()
    assert "Newer data" not in client.get(page_url).get_data(as_text=True)

    sharing.publish_version(slug, NAMED_CSV)
    page = client.get(page_url).get_data(as_text=True)
    assert re.search(
        r"Dataset BCG named has a newer version \(v2, published \d\d \w{3} \d{4}\)", page
    )
    assert "Log in</a> to run it on the new version" in page  # a visitor may not run
    (newer,) = client.get(f"/api/v1/analyses/{old_id}").get_json()["newer_versions"]
    assert (newer["slug"], newer["used"], newer["newest"]) == (slug, 1, 2)

    # any member may run it on the new version (policy: whoever may run analyses)
    make_user("gus")
    auth.login("gus")
    token = csrf_token(client, page_url)
    response = client.post(f"{page_url}/newest", data={"csrf_token": token})
    assert response.status_code == 303
    job = client.get("/api/v1" + response.headers["Location"]).get_json()
    assert job["state"] == "finished", job
    new_id = int(job["result"]["url"].rsplit("/", 1)[1])
    session.expire_all()
    old, new = session.get(AnalysisRun, old_id), session.get(AnalysisRun, new_id)
    assert new.rerun_of_id == old_id and new.owner.username == "gus"
    assert [i.version.number for i in new.inputs] == [2]
    assert (new.measure, new.method, new.harmonisation) == (
        old.measure,
        old.method,
        old.harmonisation,
    )
    assert (old.results["pooled"]["k"], new.results["pooled"]["k"]) == (12, 13)

    page = client.get(f"/analyses/{new_id}").get_data(as_text=True)
    assert f'What changed since <a href="/analyses/{old_id}">analysis {old_id}</a>' in page
    assert "BCG named: version 1 → version 2." in page and "Studies added: 13." in page
    assert re.search(r"Number of studies \(k\)</th><td>12</td><td>13</td><td>\+1</td>", page)
    old_rr, new_rr = old.results["pooled"]["estimate_exp"], new.results["pooled"]["estimate_exp"]
    assert f"<td>{old_rr:.3f}</td><td>{new_rr:.3f}</td>" in page
    assert "How is this computed?" in page
    api = client.get(f"/api/v1/analyses/{new_id}").get_json()["comparison"]
    assert api["with"] == old_id and api["studies_added"] == ["13"]
    numbers = {n["key"]: n for n in api["numbers"]}
    assert numbers["estimate"]["old"] == old_rr and numbers["estimate"]["new"] == new_rr
    assert numbers["estimate"]["change"] == pytest.approx(new_rr - old_rr)
    assert numbers["tau2"]["new"] == new.results["pooled"]["tau2"]
    assert {"ci_low", "ci_high", "i2", "q", "pvalue", "pi_low", "pi_high"} <= set(numbers)
    assert len(api["weights"]) == 13
    old_page = client.get(page_url).get_data(as_text=True)
    assert f'There is already a run on the newest data: <a href="/analyses/{new_id}">' in old_page
    old_api = client.get(f"/api/v1/analyses/{old_id}").get_json()
    assert old_api["newer_versions"][0]["newest"] == 2 and old_api["comparison"] is None

    # the follower is told of both, once, on the site and by e-mail
    assert living.notify_followers(app) == 2
    assert living.notify_followers(app) == 0
    fern = session.scalar(select(Notification).where(Notification.run_id == new_id))
    assert fern is not None and "has a newer run" in fern.message
    notices = session.scalars(select(Notification).order_by(Notification.id)).all()
    assert {n.run_id for n in notices} == {old_id, new_id}
    assert any("BCG named has a newer version (v2)" in n.message for n in notices)
    mails = mailbox.messages("fern@example.org")
    assert len(mails) == 2 and f"/analyses/{new_id}" in body_of(mails[-1]) + body_of(mails[0])
    auth.logout()
    auth.login("fern")
    listing = client.get("/notifications/").get_data(as_text=True)
    assert f'href="/analyses/{new_id}"' in listing


def test_a_newer_version_without_a_mapped_column_opens_the_mapping_step(
    client, auth, sharing, member, session
):
    slug = sharing.share("BCG named", V1_CSV)
    auth.login(member)
    answer = client.post(
        "/api/v1/analyses",
        json=body(slug, NAMED_COLUMNS),
        headers={"Authorization": f"Bearer {new_token(client)}"},
    ).get_json()
    old_id = answer["analysis"]["id"]
    auth.logout()
    sharing.publish_version(slug, NAMED_CSV.replace("n_ctrl", "total_ctrl"))
    auth.login(member)
    page_url = f"/analyses/{old_id}"
    response = client.post(f"{page_url}/newest", data={"csrf_token": csrf_token(client, page_url)})
    assert response.status_code == 303 and response.headers["Location"].endswith("/map")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The newer data needs the mapping checked." in page
    assert "Column &#39;n_ctrl&#39; chosen for Total, control is not in this dataset" in page
    draft = session.scalars(select(AnalysisRun).where(AnalysisRun.rerun_of_id == old_id)).one()
    assert draft.status == "draft" and draft.job_id is None


def test_a_participant_mapping_is_prefilled_from_the_roles_and_values(
    client, auth, sharing, member
):
    slugs = [
        sharing.share(
            f"Trial {name}",
            trial_csv(("active", "placebo"), ("yes", "no"), counts),
            level="participant",
        )
        for name, counts in (("A", (5, 30, 12, 30)), ("B", (8, 40, 15, 40)))
    ]
    auth.login(member)
    response = client.post(
        "/analyses/new",
        data={
            "csrf_token": csrf_token(client, "/analyses/new"),
            "kind": "participant",
            "title": "Two trials",
            "datasets": [f"{slug}@1" for slug in slugs],
        },
    )
    map_url = response.headers["Location"]
    page = client.get(map_url).get_data(as_text=True)
    assert 'id="mapping-suggested"' in page
    assert selected(page, "outcome_type") == "binary"
    for index in range(2):
        p = f"d{index}_"
        assert selected(page, p + "arm") == "arm" and selected(page, p + "outcome") == "outcome"
        assert (selected(page, p + "treatment"), selected(page, p + "control")) == (
            "active",
            "placebo",
        )
    # what was guessed runs as it is
    token = csrf_token(client, map_url)
    data = {"csrf_token": token, "outcome_type": "binary"}
    for index in range(2):
        p = f"d{index}_"
        data |= {p + "arm": "arm", p + "treatment": "active", p + "control": "placebo"}
        data |= {p + "outcome": "outcome", p + "event_values": "yes"}
    del data["d1_control"]
    response = client.post(map_url, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="d1_control-error">Trial B: Choose the control value of the arm column.' in page
    assert selected(page, "d1_treatment") == "active"
    data["d1_control"] = "placebo"
    assert client.post(map_url, data=data).status_code == 303
