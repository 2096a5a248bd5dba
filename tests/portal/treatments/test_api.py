"""Treatments through /api/v1: aggregates under the same k as the pages, and a member's
own reports, which nobody else can read, change or withdraw."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.accounts.tokens import create_token
from portal.treatments.models import TreatmentReport
from tests.portal.api.conftest import bearer
from tests.portal.treatments.conftest import SLUG, TODAY, count

K = 5
LIST = f"/api/v1/communities/{SLUG}/treatments"
MINE = "/api/v1/treatment-reports"
CREATE = f"/api/v1/communities/{SLUG}/treatment-reports"


@pytest.fixture
def token_for(session):
    def make(user, scope: str = "write") -> str:
        _token, plain = create_token(session, user, name="tests", scope=scope)
        session.commit()
        return plain

    return make


def body(treatment, **overrides) -> dict:
    data = {
        "treatment": treatment.id,
        "started_on": (TODAY - timedelta(days=90)).isoformat(),
        "stopped_on": (TODAY - timedelta(days=30)).isoformat(),
        "dose": "40 mg",
        "effectiveness": "slight",
        "side_effects": [{"name": "fatigue", "severity": "mild"}],
        "adherence": 4,
        "burden": 2,
        "cost_band": "low",
        "reason_stopped": "finished",
    }
    data.update(overrides)
    return data


def test_aggregates_appear_only_from_k_reporters(client, treatment, add_reports):
    add_reports(treatment, K - 1, effectiveness="major")
    page = client.get(LIST).get_json()
    assert page["min_reporters"] == K and "not evidence from a clinical trial" in page["warning"]
    assert page["items"] == [
        {
            "treatment": {"id": treatment.id, "name": "Propranolol", "kind": "drug"},
            "enough_reports": False,
        }
    ]
    assert page["has_more"] is False and page["page"] == 1
    one = client.get(f"{LIST}/{treatment.id}").get_json()
    assert one == page["items"][0]

    add_reports(treatment, 1, effectiveness="none")
    shown = client.get(f"{LIST}/{treatment.id}").get_json()
    assert shown["enough_reports"] is True and shown["reporters"] == K
    # Four "major" and one "none": no grouping rests on five each, so no ratings.
    assert shown["effectiveness"] is None and shown["released_at"]


def test_unknown_community_and_treatment_are_404(client, treatment):
    assert client.get("/api/v1/communities/nowhere/treatments").status_code == 404
    missing = client.get(f"{LIST}/{treatment.id + 1000}")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


def test_a_member_reports_reads_changes_and_withdraws_their_own(
    client, session, community, treatment, person, token_for
):
    mia = person("mia", member_of=community)
    token = token_for(mia)
    created = client.post(CREATE, json=body(treatment), headers=bearer(token))
    assert created.status_code == 201, created.get_json()
    report = created.get_json()
    assert report["treatment"]["name"] == "Propranolol" and report["duration_days"] == 60
    assert report["side_effects"] == [{"name": "fatigue", "severity": "mild"}]

    again = client.post(CREATE, json=body(treatment), headers=bearer(token))
    assert again.status_code == 400 and again.get_json()["error"]["field"] == "treatment"

    mine = client.get(MINE, headers=bearer(token)).get_json()
    assert [item["id"] for item in mine["items"]] == [report["id"]]
    assert client.get(f"{MINE}/{report['id']}", headers=bearer(token)).get_json() == report

    changed = client.put(
        f"{MINE}/{report['id']}",
        json=body(treatment, effectiveness="major", consent_to_publish=True),
        headers=bearer(token),
    )
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["effectiveness"] == "major"
    assert changed.get_json()["consent_to_publish"] is True

    gone = client.delete(f"{MINE}/{report['id']}", headers=bearer(token))
    assert gone.get_json() == {"id": report["id"], "withdrawn": True}
    assert count(session, TreatmentReport) == 0


def test_nobody_else_can_read_change_or_withdraw_a_report(
    client, session, community, treatment, person, token_for
):
    mia = person("mia", member_of=community)
    otto = person("otto", member_of=community)
    report = client.post(CREATE, json=body(treatment), headers=bearer(token_for(mia))).get_json()
    url = f"{MINE}/{report['id']}"
    theirs = bearer(token_for(otto))
    assert client.get(url, headers=theirs).status_code == 404
    assert client.put(url, json=body(treatment, dose="9 g"), headers=theirs).status_code == 404
    assert client.delete(url, headers=theirs).status_code == 404
    assert client.get(MINE, headers=theirs).get_json()["items"] == []
    assert client.get(url).status_code == 401
    session.expire_all()
    kept = session.get(TreatmentReport, report["id"])
    assert kept is not None and kept.dose == "40 mg"


def test_bad_values_name_their_field_and_write_nothing(
    client, session, community, treatment, person, token_for
):
    mia = person("mia", member_of=community)
    token = token_for(mia)
    cases = [
        ({"adherence": 7}, "adherence"),
        ({"effectiveness": "miraculous"}, "effectiveness"),
        ({"started_on": "next tuesday"}, "started_on"),
        ({"stopped_on": (TODAY - timedelta(days=120)).isoformat()}, "stopped_on"),
        ({"side_effects": [{"name": "nausea", "severity": "awful"}]}, "side_effects"),
    ]
    for override, field in cases:
        refused = client.post(CREATE, json=body(treatment, **override), headers=bearer(token))
        assert refused.status_code == 400, (override, refused.get_json())
        assert refused.get_json()["error"]["field"] == field, override
    assert count(session, TreatmentReport) == 0


def test_only_members_report_and_read_tokens_cannot_write(
    client, community, treatment, person, token_for
):
    stranger = person("stranger")
    refused = client.post(CREATE, json=body(treatment), headers=bearer(token_for(stranger)))
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "membership_required"
    mia = person("mia", member_of=community)
    read_only = client.post(CREATE, json=body(treatment), headers=bearer(token_for(mia, "read")))
    assert read_only.status_code == 403
