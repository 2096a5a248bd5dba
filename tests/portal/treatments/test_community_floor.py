"""A community's moderators may raise the privacy floor of its treatment figures above
the site's, never lower it: not from the settings page, not through the service, and
not by a lower value stored in the database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.community.governance import choices
from portal.errors import ServiceError
from portal.treatments import aggregates, releases
from tests.portal.conftest import csrf_token
from tests.portal.treatments.conftest import FLOOR, SLUG, reports_url

SETTINGS = f"/communities/{SLUG}/settings"
API = f"/api/v1/communities/{SLUG}/treatments"


def settings_form(**changes) -> dict:
    data = {
        "question_proposers": "members",
        "stakeholders": ["patient", "carer", "clinician"],
        "min_reporters": "",
        "description": "For people with migraine.",
    }
    data.update(changes)
    return data


def save_floor(client, value: str):
    token = csrf_token(client, SETTINGS)
    return client.post(SETTINGS, data={"csrf_token": token, **settings_form(min_reporters=value)})


def page_of(client, treatment) -> str:
    return client.get(reports_url(f"/{treatment.id}")).get_data(as_text=True)


@pytest.mark.parametrize("value", ["2", "4", "0", "-3"])
def test_a_moderator_cannot_lower_the_floor(
    session, community, moderator, treatment, add_reports, login, value
):
    add_reports(treatment, 4, effectiveness="major")
    add_reports(treatment, 0)
    moira = login("moira")
    response = save_floor(moira, value)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "For people with migraine." in page  # what was typed stays
    assert 'id="min_reporters-error"' in page
    session.expire_all()
    assert community.min_reporters is None
    assert "Not enough reports yet" in page_of(moira, treatment)


def test_the_service_refuses_a_lower_floor(session, community, moderator):
    wanted = choices.current(community)
    for value in (1, 2, 4):
        lowered = choices.Choices(**{**vars(wanted), "min_reporters": value})
        with pytest.raises(ServiceError, match="never rest on fewer than 5") as error:
            choices.update(session, moderator, community, lowered, floor=FLOOR)
        assert error.value.field == "min_reporters"
        session.rollback()


def test_a_lower_floor_stored_anyway_is_ignored(session, community, treatment, add_reports, client):
    # As if written behind the service's back (the database allows 2 and up).
    community.min_reporters = 2
    session.commit()
    add_reports(treatment, 2, effectiveness="major")
    add_reports(treatment, 2, effectiveness="worse")
    assert "Not enough reports yet" in page_of(client, treatment)
    assert client.get(API).get_json()["min_reporters"] == 5
    assert releases.latest(session, treatment.id) is None


def test_raising_the_floor_takes_figures_down_at_once(
    session, community, moderator, treatment, add_reports, login, client
):
    add_reports(treatment, 5, effectiveness="major", side_effects="")
    add_reports(treatment, 5, effectiveness="worse", side_effects="nausea: severe")
    assert "Major: 5" in page_of(client, treatment)
    add_reports(treatment, 2, effectiveness="major")  # fewer than k since: no release
    response = save_floor(login("moira"), "8")
    assert response.status_code == 303
    session.expire_all()
    assert community.min_reporters == 8
    page = page_of(client, treatment)
    assert "Major: 5" not in page and "Not enough reports yet" in page
    assert client.get(API).get_json()["min_reporters"] == 8
    # Back once 8 reports differ from the figures last shown.
    add_reports(treatment, 6, effectiveness="moderate")
    page = page_of(client, treatment)
    assert "<strong>18</strong> members reported using it" in page
    figures = client.get(API).get_json()["items"][0]
    # 7 helped a lot, 6 somewhat, 5 worse: no grouping puts 8 in every group.
    assert figures["reporters"] == 18 and figures["effectiveness"] is None


def test_raising_the_floor_over_unchanged_reports_coarsens_them_at_once(
    session, community, moderator, treatment, add_reports, client
):
    # Released at 5, 10, 15 and 20 reports: the last figures rest on all of them.
    add_reports(treatment, 7, effectiveness="none", side_effects="")
    add_reports(treatment, 7, effectiveness="slight", side_effects="")
    add_reports(treatment, 6, effectiveness="major", side_effects="")
    before = client.get(API).get_json()["items"][0]
    assert before["reporters"] == 20 and len(before["effectiveness"]) == 5
    wanted = choices.current(community)
    raised = choices.Choices(**{**vars(wanted), "min_reporters": 7})
    choices.update(session, moderator, community, raised, floor=FLOOR)
    session.commit()
    after = client.get(API).get_json()["items"][0]
    assert after["reporters"] == 20
    assert [(c["label"], c["count"]) for c in after["effectiveness"]] == [
        ("Made it worse", 0),
        ("No change", 7),
        ("Helped", 13),
    ]


@given(
    site=st.integers(min_value=2, max_value=50),
    asked=st.one_of(st.none(), st.integers(min_value=-10, max_value=200)),
    stored=st.one_of(st.none(), st.integers(min_value=2, max_value=200)),
)
def test_no_community_floor_is_ever_below_the_sites(site, asked, stored):
    floor = aggregates.Floor(k=site, trusted_after=timedelta(days=7))
    assert aggregates.for_community(floor, stored).k >= site
    wanted = choices.Choices(
        question_proposers="members",
        stakeholders=("patient",),
        min_reporters=asked,
        membership_visible_default=False,
        description="For people with migraine.",
        audience="",
        rules="",
    )
    try:
        accepted = choices.check(wanted, floor)
    except ServiceError:
        assert asked is not None and not site <= asked <= choices.MIN_REPORTERS_MAX
        return
    assert accepted.min_reporters is None or accepted.min_reporters > site
    assert aggregates.for_community(floor, accepted.min_reporters).k == max(site, asked or 0)
