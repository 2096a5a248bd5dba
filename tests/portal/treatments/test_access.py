"""Who may do what: reports belong to their author; moderators curate; CSRF everywhere."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.treatments.models import Treatment, TreatmentReport
from tests.portal.treatments.conftest import count, post_form, report_data, reports_url


@pytest.fixture
def sams_report(login, session, person, community, treatment) -> int:
    person("sam", member_of=community)
    client = login("sam")
    assert (
        post_form(
            client, reports_url("/report"), report_data(treatment, consent_to_publish="y")
        ).status_code
        == 303
    )
    return session.scalar(select(TreatmentReport.id))


@pytest.mark.parametrize("suffix", ["/edit", "/withdraw", "/consent/withdraw"])
def test_another_member_cannot_see_edit_or_withdraw_my_report(
    login, session, person, community, sams_report, suffix
):
    person("olga", member_of=community)
    client = login("olga")
    assert client.get(reports_url(f"/reports/{sams_report}/edit")).status_code == 404
    url = reports_url(f"/reports/{sams_report}{suffix}")
    response = post_form(client, url, {"effectiveness": "worse"}, token_from=reports_url("/"))
    assert response.status_code == 404
    session.expire_all()
    report = session.get(TreatmentReport, sams_report)
    assert report is not None and report.effectiveness == "moderate"
    assert report.consent_to_publish is True


def test_my_report_is_not_on_anyone_elses_pages(login, person, community, treatment, sams_report):
    person("olga", member_of=community)
    client = login("olga")
    for url in (reports_url("/"), reports_url(f"/{treatment.id}")):
        page = client.get(url).get_data(as_text=True)
        assert "40 mg twice a day" not in page and "Your reports" not in page


def test_a_member_withdraws_consent(login, session, sams_report):
    client = login("sam")
    response = post_form(
        client,
        reports_url(f"/reports/{sams_report}/consent/withdraw"),
        {},
        token_from=reports_url("/"),
    )
    assert response.status_code == 303
    session.expire_all()
    assert session.get(TreatmentReport, sams_report).consent_to_publish is False


def test_members_propose_and_only_moderators_decide(login, session, person, community, moderator):
    person("sam", member_of=community)
    client = login("sam")
    response = post_form(
        client,
        reports_url("/propose"),
        {"name": "Feverfew", "kind": "non-drug"},
        token_from=reports_url("/"),
    )
    assert response.status_code == 303
    proposed = session.scalar(select(Treatment).where(Treatment.name == "Feverfew"))
    assert proposed.status == "proposed"
    response = post_form(
        client, reports_url(f"/{proposed.id}/approve"), {}, token_from=reports_url("/")
    )
    assert response.status_code == 403
    session.expire_all()
    assert session.get(Treatment, proposed.id).status == "proposed"
    again = post_form(
        client,
        reports_url("/propose"),
        {"name": "  feverfew ", "kind": "drug"},
        token_from=reports_url("/"),
    )
    assert "already on this community" in client.get(again.location).text
    assert count(session, Treatment) == 1
    moderator_client = login("moira")
    assert "Proposed treatments" in moderator_client.get(reports_url("/")).text
    response = post_form(
        moderator_client, reports_url(f"/{proposed.id}/reject"), {}, token_from=reports_url("/")
    )
    assert response.status_code == 303
    session.expire_all()
    assert session.get(Treatment, proposed.id).status == "rejected"


def test_a_plain_member_cannot_publish(login, person, community, sams_report):
    client = login("sam")
    response = post_form(client, reports_url("/publish"), {}, token_from=reports_url("/"))
    assert response.status_code == 403


@pytest.mark.parametrize(
    "url, data",
    [
        ("/report", None),
        ("/propose", {"name": "Feverfew", "kind": "drug"}),
        ("/publish", {}),
    ],
)
def test_every_form_needs_the_csrf_token(login, session, person, community, treatment, url, data):
    person("sam", member_of=community)
    client = login("sam")
    response = client.post(reports_url(url), data=data or report_data(treatment))
    assert response.status_code == 400
    assert count(session, TreatmentReport) == 0 and count(session, Treatment) == 1


def test_withdraw_and_consent_need_the_csrf_token(login, session, sams_report):
    client = login("sam")
    for suffix in ("/withdraw", "/consent/withdraw"):
        assert client.post(reports_url(f"/reports/{sams_report}{suffix}")).status_code == 400
    session.expire_all()
    assert session.get(TreatmentReport, sams_report).consent_to_publish is True


def test_pages_send_no_inline_script(client, treatment):
    for url in (reports_url("/"), reports_url(f"/{treatment.id}")):
        response = client.get(url)
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert "<script>" not in response.text and " style=" not in response.text


def test_a_proposed_treatment_is_visible_to_moderators_only(
    login, session, person, community, moderator
):
    from portal.treatments import services

    sam = person("sam", member_of=community)
    proposed = services.propose(session, community, sam, name="Feverfew", kind="non-drug")
    session.commit()
    url = reports_url(f"/{proposed.id}")
    assert login("sam").get(url).status_code == 404
    assert login("moira").get(url).status_code == 200


def test_a_member_who_left_can_still_withdraw_their_report(login, session, community, sams_report):
    from portal.community import services as communities

    communities.leave(session, community, _user(session, "sam"))
    session.commit()
    client = login("sam")
    response = post_form(
        client, reports_url(f"/reports/{sams_report}/withdraw"), {}, token_from=reports_url("/")
    )
    assert response.status_code == 303
    assert count(session, TreatmentReport) == 0


def _user(session, username):
    from portal.accounts.models import User

    return session.scalar(select(User).where(User.username == username))
