"""Reporting through the page: good reports are saved; every bad input names its field
and writes nothing."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from portal.treatments.models import ReportSideEffect, TreatmentReport
from tests.portal.treatments.conftest import (
    FLOOR,
    TODAY,
    count,
    post_form,
    report_data,
    reports_url,
)

NEW = reports_url("/report")


@pytest.fixture
def sam(person, community):
    return person("sam", member_of=community)


def test_a_member_reports_and_sees_only_durations(login, session, sam, treatment):
    client = login("sam")
    response = post_form(client, NEW, report_data(treatment, consent_to_publish="y"))
    assert response.status_code == 303
    report = session.scalar(select(TreatmentReport))
    assert report.user_id == sam.id and report.consent_to_publish is True
    assert [(s.name, s.severity) for s in report.side_effects] == [
        ("cold hands", "moderate"),
        ("fatigue", "mild"),
    ]
    mine = client.get(reports_url("/")).get_data(as_text=True)
    assert "140 days" in mine
    assert (TODAY - timedelta(days=200)).isoformat() not in mine


def test_a_member_edits_and_withdraws_their_report(login, session, sam, treatment):
    client = login("sam")
    post_form(client, NEW, report_data(treatment))
    report_id = session.scalar(select(TreatmentReport.id))
    edit = reports_url(f"/reports/{report_id}/edit")
    response = post_form(
        client,
        edit,
        report_data(
            treatment,
            effectiveness="worse",
            side_effects="rash: severe",
            stopped_on="",
            reason_stopped="",
        ),
    )
    assert response.status_code == 303
    session.expire_all()
    report = session.get(TreatmentReport, report_id)
    assert report.effectiveness == "worse" and report.stopped_on is None
    assert [(s.name, s.severity) for s in report.side_effects] == [("rash", "severe")]
    response = post_form(client, reports_url(f"/reports/{report_id}/withdraw"), {}, token_from=edit)
    assert response.status_code == 303
    assert count(session, TreatmentReport) == 0 and count(session, ReportSideEffect) == 0


FUTURE = (TODAY + timedelta(days=3)).isoformat()
BAD = [
    ("unknown treatment", {"treatment": "99999"}, "treatment", "community's list"),
    ("no treatment", {"treatment": ""}, "treatment", "community's list"),
    (
        "start in the future",
        {"started_on": FUTURE, "stopped_on": "", "reason_stopped": ""},
        "started_on",
        "Start date cannot be in the future",
    ),
    (
        "stop in the future",
        {"stopped_on": FUTURE},
        "stopped_on",
        "Stop date cannot be in the future",
    ),
    (
        "dates reversed",
        {
            "started_on": (TODAY - timedelta(days=10)).isoformat(),
            "stopped_on": (TODAY - timedelta(days=20)).isoformat(),
        },
        "stopped_on",
        "before the start date",
    ),
    ("not a date", {"started_on": "last spring"}, "started_on", "must be a date"),
    ("no start", {"started_on": ""}, "started_on", "Start date is required"),
    (
        "effectiveness unknown",
        {"effectiveness": "miraculous"},
        "effectiveness",
        "Effectiveness must be one of",
    ),
    ("adherence too high", {"adherence": "6"}, "adherence", "Adherence must be from 1 to 5"),
    ("burden too low", {"burden": "0"}, "burden", "Burden must be from 1 to 5"),
    ("burden not a number", {"burden": "lots"}, "burden", "Burden must be a whole number"),
    ("cost unknown", {"cost_band": "priceless"}, "cost_band", "Cost must be one of"),
    (
        "side effect severity",
        {"side_effects": "nausea: unbearable"},
        "side_effects",
        "needs a severity",
    ),
    (
        "reason unknown",
        {"reason_stopped": "boredom"},
        "reason_stopped",
        "Reason for stopping must be one of",
    ),
    ("stopped without a reason", {"reason_stopped": ""}, "reason_stopped", "Say why you stopped"),
    ("dose too long", {"dose": "x" * 200}, "dose", "at most 120 characters"),
]


@pytest.mark.parametrize("case, changes, field, message", BAD, ids=[b[0] for b in BAD])
def test_bad_input_names_the_field_and_writes_nothing(
    login, session, sam, treatment, case, changes, field, message
):
    client = login("sam")
    response = post_form(client, NEW, report_data(treatment, **changes))
    assert response.status_code == 400
    page = unescape(response.get_data(as_text=True))
    assert f'id="{field}-error"' in page
    assert message in page.split(f'id="{field}-error"', 1)[1].split("</p>", 1)[0]
    assert count(session, TreatmentReport) == 0 and count(session, ReportSideEffect) == 0


def test_a_bad_edit_leaves_the_report_as_it_was(login, session, sam, treatment):
    client = login("sam")
    post_form(client, NEW, report_data(treatment))
    report_id = session.scalar(select(TreatmentReport.id))
    edit = reports_url(f"/reports/{report_id}/edit")
    response = post_form(
        client,
        edit,
        report_data(treatment, effectiveness="major", side_effects="rash: severe", burden="9"),
    )
    assert response.status_code == 400 and "Burden must be from 1 to 5" in response.text
    session.expire_all()
    report = session.get(TreatmentReport, report_id)
    assert report.effectiveness == "moderate" and report.burden == 2
    assert [s.name for s in report.side_effects] == ["cold hands", "fatigue"]


def test_a_report_on_behalf_of_another_member_is_refused(
    login, session, person, community, sam, treatment
):
    other = person("olga", member_of=community)
    client = login("sam")
    response = post_form(client, NEW, report_data(treatment, member=str(other.id)))
    assert response.status_code == 400
    assert "only report your own treatments" in unescape(response.text)
    assert count(session, TreatmentReport) == 0


def test_a_second_report_of_the_same_treatment_is_refused(login, session, sam, treatment):
    client = login("sam")
    post_form(client, NEW, report_data(treatment))
    response = post_form(client, NEW, report_data(treatment, effectiveness="major"))
    assert response.status_code == 400 and "already reported Propranolol" in response.text
    assert count(session, TreatmentReport) == 1


def test_a_non_member_cannot_report(login, session, person, community, treatment):
    person("nina")
    client = login("nina")
    page = client.get(NEW, follow_redirects=True).get_data(as_text=True)
    assert "Join Migraine to report a treatment." in page
    token_page = reports_url("/")  # any page of the site carries a valid token
    response = client.post(
        NEW, data={"csrf_token": _token(client, token_page), **report_data(treatment)}
    )
    assert response.status_code == 303
    assert count(session, TreatmentReport) == 0


def test_a_proposed_treatment_cannot_be_reported_until_approved(
    login, session, community, sam, moderator
):
    from portal.treatments import services

    proposed = services.propose(session, community, sam, name="Feverfew", kind="non-drug")
    session.commit()
    assert proposed.status == "proposed"
    client = login("sam")
    response = post_form(client, NEW, report_data(proposed))
    assert response.status_code == 400 and "community's list" in unescape(response.text)
    assert count(session, TreatmentReport) == 0
    moderator_client = login("moira")
    response = post_form(
        moderator_client, reports_url(f"/{proposed.id}/approve"), {}, token_from=reports_url("/")
    )
    assert response.status_code == 303
    assert post_form(client, NEW, report_data(proposed)).status_code == 303
    assert count(session, TreatmentReport) == 1


def _token(client, url):
    from tests.portal.conftest import csrf_token

    return csrf_token(client, url)


def test_a_report_racing_another_of_the_same_treatment_is_refused_by_the_database(
    session, community, sam, treatment, monkeypatch
):
    """The check-then-insert race: the unique constraint settles it with a clear message."""
    from portal.errors import ServiceError
    from portal.treatments import services

    data = services.ReportInput.from_mapping(report_data(treatment))
    services.create_report(session, community, sam, data, today=TODAY, floor=FLOOR)
    session.commit()
    monkeypatch.setattr(services, "own_report", lambda *_: None)  # both pass the check
    with pytest.raises(ServiceError, match="already reported Propranolol"):
        services.create_report(session, community, sam, data, today=TODAY, floor=FLOOR)
    session.rollback()
    assert count(session, TreatmentReport) == 1
