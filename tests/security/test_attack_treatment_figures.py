"""Attacks on the figures published about treatments: fake accounts, differencing
before and after one report, small cells, and edits made to force a release.

Each test plays the attacker against the real services and reads what the public
API shows; each would reveal one member's report without the privacy floor."""

from __future__ import annotations

from datetime import timedelta

from portal.db import utcnow
from portal.treatments import releases, services
from portal.treatments.models import TreatmentReport
from tests.portal.treatments import conftest as on_treatments
from tests.portal.treatments.conftest import FLOOR, SLUG, TODAY, report_data

# The treatment feature's fixtures (its community, members and reports), here
# instead of the community fixtures the other security tests use.
community = on_treatments.community
person = on_treatments.person
moderator = on_treatments.moderator
treatment = on_treatments.treatment
add_reports = on_treatments.add_reports

API = f"/api/v1/communities/{SLUG}/treatments"


def figures(client, treatment) -> dict:
    return client.get(f"{API}/{treatment.id}").get_json()


def test_sybil_accounts_do_not_make_up_a_crowd(client, treatment, add_reports):
    """Four throwaway accounts reporting "none" and one real member: nothing is shown,
    where counting every account would have shown the member's severe side effect."""
    add_reports(treatment, 4, fresh=True, effectiveness="none", side_effects="")
    add_reports(treatment, 1, effectiveness="major", side_effects="hand-foot syndrome: severe")
    assert figures(client, treatment) == {
        "treatment": {"id": treatment.id, "name": "Propranolol", "kind": "drug"},
        "enough_reports": False,
    }


def test_aged_sybils_still_never_show_one_members_side_effect(
    client, session, treatment, add_reports
):
    """Even once the throwaway accounts are old enough to count, a side effect named by
    one member is never listed, nor a rating that only that member gave."""
    add_reports(treatment, 9, effectiveness="none", side_effects="")
    add_reports(treatment, 1, effectiveness="major", side_effects="hand-foot syndrome: severe")
    shown = figures(client, treatment)
    assert shown["reporters"] == 10
    assert shown["side_effects"] == []
    assert shown["effectiveness"] is None  # 9 against 1: no grouping rests on 5 each
    assert "hand-foot" not in client.get(f"/communities/{SLUG}/treatments/{treatment.id}").text


def test_one_more_report_changes_nothing_that_is_shown(client, treatment, add_reports):
    """Differencing: the figures before and after one member's report are the same; they
    change only once k reports have changed, and then by at least k."""
    add_reports(treatment, 5, effectiveness="none")
    add_reports(treatment, 5, effectiveness="slight")
    before = figures(client, treatment)
    add_reports(treatment, 1, effectiveness="major", side_effects="nausea: severe")
    assert figures(client, treatment) == before
    add_reports(treatment, 3, effectiveness="major")
    assert figures(client, treatment) == before, "4 changed reports: still k - 1 short"
    add_reports(treatment, 1, effectiveness="major")
    after = figures(client, treatment)
    assert after["reporters"] == before["reporters"] + 5
    assert after["released_at"] != before["released_at"]


def test_a_withdrawal_is_not_visible_on_its_own(client, session, community, treatment, add_reports):
    members = add_reports(treatment, 6, effectiveness="moderate")
    add_reports(treatment, 5, effectiveness="worse")
    before = figures(client, treatment)
    report = session.query(TreatmentReport).filter_by(user_id=members[0].id).one()
    services.withdraw_report(session, report, members[0], floor=FLOOR)
    session.commit()
    assert figures(client, treatment) == before
    assert session.get(TreatmentReport, report.id) is None, "deleted at once all the same"


def test_falling_below_k_takes_the_figures_down_at_once(
    client, session, community, treatment, add_reports
):
    members = add_reports(treatment, 5, effectiveness="moderate")
    assert figures(client, treatment)["enough_reports"] is True
    report = session.query(TreatmentReport).filter_by(user_id=members[0].id).one()
    services.withdraw_report(session, report, members[0], floor=FLOOR)
    session.commit()
    assert figures(client, treatment)["enough_reports"] is False
    add_reports(treatment, 1, effectiveness="worse")
    assert figures(client, treatment)["enough_reports"] is False, (
        "back to 5, but only 2 reports differ from the figures last shown"
    )


def test_editing_one_report_again_and_again_forces_no_release(
    client, session, community, treatment, add_reports
):
    members = add_reports(treatment, 10, effectiveness="slight")
    before = figures(client, treatment)
    attacker = members[0]
    report = session.query(TreatmentReport).filter_by(user_id=attacker.id).one()
    for rating in ("major", "none", "worse", "moderate", "major", "none"):
        data = services.ReportInput.from_mapping(report_data(treatment, effectiveness=rating))
        services.update_report(session, report, attacker, data, today=TODAY, floor=FLOOR)
        session.commit()
    assert figures(client, treatment) == before


def test_accounts_becoming_trusted_are_released_in_batches_too(
    app, client, session, treatment, add_reports
):
    add_reports(treatment, 5, effectiveness="none")
    add_reports(treatment, 4, fresh=True, effectiveness="major")
    before = figures(client, treatment)
    assert before["reporters"] == 5
    later = utcnow() + timedelta(days=8)
    assert releases.refresh(session, treatment, FLOOR, later) is None, "4 changes < k"
    add_reports(treatment, 1, fresh=True, effectiveness="major")
    assert releases.refresh(session, treatment, FLOOR, later) is not None
    session.commit()
    assert figures(client, treatment)["reporters"] == 10
