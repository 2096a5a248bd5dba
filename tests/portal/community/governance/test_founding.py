"""A member proposes a community; only its founder and site admins see it until a site
admin approves, merges or declines it; the founder is told and the audit log keeps it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Role
from portal.audit import AuditEvent
from portal.community import services
from portal.community.governance import founding
from portal.community.models import Community, CommunityStatus, Membership
from portal.community.notifications.models import Notification
from portal.errors import Conflict, Forbidden, ServiceError
from tests.portal.community.governance.conftest import PROPOSAL, post
from tests.portal.conftest import body_of, csrf_token

PROPOSE = "/communities/propose"


def decide(client, community: Community, **fields: str):
    prefix = f"p{community.id}-"
    data = {prefix + name: value for name, value in fields.items()}
    data[prefix + "csrf_token"] = csrf_token(client, PROPOSE)
    return client.post(f"/communities/{community.slug}/decision", data=data)


def test_a_member_proposes_a_community_that_only_they_and_admins_see(
    session, founder, admin, person, login, client
):
    fred = login("fred")
    response = post(fred, PROPOSE, PROPOSAL, token_from=PROPOSE)
    assert response.status_code == 303
    community = session.scalar(select(Community).where(Community.founder_id == founder.id))
    assert community.status == CommunityStatus.PROPOSED
    assert community.slug == "living-with-type-1-diabetes"
    assert community.condition_code == "E10"  # upper-cased
    assert community.rules.startswith("Be kind.")
    assert response.headers["Location"].endswith(f"/communities/{community.slug}")
    page = fred.get(f"/communities/{community.slug}").get_data(as_text=True)
    assert "only its founder and site admins see this page" in page
    assert "Join this community" not in page
    assert community.name in fred.get(PROPOSE).get_data(as_text=True)

    person("otto")
    for viewer in (client, login("otto")):
        assert viewer.get(f"/communities/{community.slug}").status_code == 404
        assert viewer.get(f"/communities/{community.slug}/rules").status_code == 404
        assert viewer.get(f"/api/v1/communities/{community.slug}").status_code == 404
        assert community.name not in viewer.get("/communities/").get_data(as_text=True)
        assert community.name not in viewer.get("/").get_data(as_text=True)
        listed = viewer.get("/api/v1/communities").get_json()["items"]
        assert community.slug not in {item["slug"] for item in listed}
    assert login("ada").get(f"/communities/{community.slug}").status_code == 200
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "community.proposed"))
    assert event.actor_id == founder.id and event.details["community_id"] == community.id


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("condition_code", "E1O", "is not an ICD-10 code"),
        ("condition_code", "diabetes", "is not an ICD-10 code"),
        ("name", "ab", "name of 3 to"),
        ("condition", "", "Name the condition"),
        ("description", "", "Say what it is for"),
    ],
)
def test_a_bad_proposal_names_the_field_and_keeps_what_was_typed(
    session, founder, login, field, value, said
):
    fred = login("fred")
    response = post(fred, PROPOSE, {**PROPOSAL, field: value}, token_from=PROPOSE)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert said in page
    assert f'id="{field}-error"' in page
    assert "No dosing advice" in page and "their carers and their clinicians" in page
    assert session.scalar(select(func.count()).select_from(Community)) == 0


@pytest.mark.parametrize("code", ["E10", "C18.7", "G35", "5A11", "2B90.Y", "8A40.0", "1F40.Z"])
def test_icd10_and_icd11_codes_are_accepted(session, founder, code):
    fields = {**PROPOSAL, "condition_code": code.lower()}
    community = founding.propose(session, founder, founding.Proposal(**fields))
    assert community.condition_code == code


def test_no_two_communities_of_one_name_and_no_flood_of_proposals(session, founder, community):
    with pytest.raises(ServiceError, match="already exists") as error:
        founding.propose(
            session, founder, founding.Proposal(**{**PROPOSAL, "name": "colon CANCER"})
        )
    assert error.value.field == "name"
    for n in range(founding.OPEN_PROPOSALS_MAX):
        founding.propose(session, founder, founding.Proposal(**{**PROPOSAL, "name": f"Group {n}"}))
    with pytest.raises(Conflict, match="waiting for a decision"):
        founding.propose(session, founder, founding.Proposal(**{**PROPOSAL, "name": "One more"}))


def test_reserved_and_taken_addresses_get_another(session, founder, community):
    made = founding.propose(
        session, founder, founding.Proposal(**{**PROPOSAL, "name": "Proposals"})
    )
    assert made.slug == "proposals-2"
    assert founding.slug_for(session, "Colon cancer!") == "colon-cancer-2"
    assert founding.slug_for(session, "Ménière's disease") == "meniere-s-disease"


def test_an_admin_approves_and_the_founder_becomes_first_moderator(
    session, proposal, founder, admin, login, mailbox
):
    ada = login("ada")
    page = ada.get("/communities/proposals").get_data(as_text=True)
    assert proposal.name in page and "No dosing advice" in page
    response = decide(ada, proposal, decision="approve")
    assert response.status_code == 303
    session.expire_all()
    assert proposal.status == CommunityStatus.ACTIVE
    assert proposal.decided_by_id == admin.id
    membership = services.membership(session, proposal, founder)
    assert membership.role == "moderator" and membership.visible
    note = session.scalar(select(Notification).where(Notification.user_id == founder.id))
    assert "was approved" in note.message and note.question_id is None
    message = mailbox.last("fred@example.org")
    assert "is open" in message["Subject"]
    assert f"/communities/{proposal.slug}" in body_of(message)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "community.approved"))
    assert event.actor_id == admin.id and event.details["community_id"] == proposal.id
    fred = login("fred")
    assert "Notifications" in fred.get("/notifications/").get_data(as_text=True)
    assert "was approved" in fred.get("/notifications/").get_data(as_text=True)
    assert proposal.name in fred.get("/communities/").get_data(as_text=True)
    assert fred.get(f"/communities/{proposal.slug}/settings").status_code == 200


def test_merging_makes_the_founder_a_member_of_the_existing_community(
    session, proposal, founder, admin, community, login, mailbox
):
    ada = login("ada")
    refused = decide(ada, proposal, decision="merge", merge_into=str(community.id))
    assert refused.status_code == 303
    session.expire_all()
    assert proposal.status == CommunityStatus.PROPOSED  # a merge needs a reason
    decide(
        ada,
        proposal,
        decision="merge",
        merge_into=str(community.id),
        reason="Colon cancer covers it.",
    )
    session.expire_all()
    assert proposal.status == CommunityStatus.MERGED
    assert proposal.merged_into_id == community.id
    assert services.membership(session, community, founder).role == "member"
    assert services.membership(session, proposal, founder) is None
    assert "Colon cancer covers it." in body_of(mailbox.last("fred@example.org"))
    page = login("fred").get(f"/communities/{proposal.slug}").get_data(as_text=True)
    assert "merged" in page and "Colon cancer covers it." in page


def test_declining_needs_a_reason_which_the_founder_reads(
    session, proposal, founder, admin, login, mailbox
):
    with pytest.raises(ServiceError, match="reason") as error:
        founding.decline(session, admin, proposal, reason="  ")
    assert error.value.field == "reason"
    session.rollback()
    decide(login("ada"), proposal, decision="decline", reason="Too close to an existing one.")
    session.expire_all()
    assert proposal.status == CommunityStatus.DECLINED
    assert proposal.decision_reason == "Too close to an existing one."
    note = session.scalar(select(Notification).where(Notification.user_id == founder.id))
    assert "declined" in note.message and "Too close" in note.message
    assert "declined" in mailbox.last("fred@example.org")["Subject"]
    assert session.scalar(select(Membership).where(Membership.user_id == founder.id)) is None
    assert login("fred").get(f"/communities/{proposal.slug}").status_code == 200
    assert login("ada").get(f"/communities/{proposal.slug}").status_code == 200


def test_only_site_admins_decide_and_only_once(session, proposal, founder, admin, person, login):
    moira = person("moira", role=Role.MODERATOR)
    with pytest.raises(Forbidden):
        founding.approve(session, moira, proposal)
    with pytest.raises(Forbidden):
        founding.approve(session, founder, proposal)
    session.rollback()
    assert login("fred").get("/communities/proposals").status_code == 403
    assert decide(login("fred"), proposal, decision="approve").status_code == 403
    founding.approve(session, admin, proposal)
    session.commit()
    with pytest.raises(Conflict, match="already decided"):
        founding.decline(session, admin, proposal, reason="Changed my mind")
    session.rollback()


def test_nobody_joins_or_posts_in_a_proposal(session, proposal, founder, admin, propose):
    with pytest.raises(Conflict, match="not open yet"):
        services.join(session, proposal, founder)
    session.rollback()
    with pytest.raises(Conflict, match="not open yet"):
        propose(proposal, admin)
    session.rollback()
