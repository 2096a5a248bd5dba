"""Every route, every role: no server error, and private objects stay private.

``ROUTES`` classifies every endpoint of ``app.url_map``; a route added without a line
here fails ``test_every_route_is_classified``. Access classes:

- ``public``: anyone; only "never a 500" is checked.
- ``signed_in``: visitors are refused (login redirect, 401, or 400 for a cookie-less
  API call without CSRF token); members may act.
- ``owner:<role>``: an object private to that role's user (a draft dataset, a draft
  analysis, a job, a comment, a question's edit, a token); everyone else is refused.
- ``reviewer``: researchers, moderators and admins (the site roles that include a
  researcher's powers).
- ``moderator`` / ``admin``: only those roles (admins moderate too).

Every post carries the client's CSRF token so that authorisation, not a missing
token, is what answers; after the sweep, the private objects are checked unchanged.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.accounts.models import Role, User
from portal.accounts.tokens import ApiToken, create_token
from portal.community import services
from portal.community.governance import founding
from portal.community.models import Community, Membership
from portal.community.questions import services as questions
from portal.community.questions.models import Question
from portal.community.support import services as support
from portal.community.support.models import SupportPost
from portal.community.threads import services as threads
from portal.community.threads.models import Comment
from portal.data.models import Dataset
from portal.jobs.models import Job
from portal.play.models import AlignmentSource
from portal.play.tutorial import ensure_tutorial
from portal.reanalysis import building
from portal.reanalysis.models import AnalysisRun
from portal.treatments import services as treatments
from portal.treatments.aggregates import Floor
from portal.treatments.models import Treatment, TreatmentReport
from tests.portal.community.conftest import pico
from tests.portal.conftest import AuthActions, csrf_token
from tests.portal.reanalysis.conftest import BCG_CSV, Sharing

ROLES = ["anonymous", "member", "other", "researcher", "moderator", "admin"]
USERS = {"member": "mia", "other": "otto", "researcher": "rita", "moderator": "moe", "admin": "ada"}

C = "/communities/{slug}"
Q = C + "/questions/{qid}"
D = "/datasets/{draft}/versions/1"
R = "/analyses/{run}"
T = C + "/treatments"
A = "/play/alignments/{alignment}"

#: endpoint -> (URL template, access class)
ROUTES: dict[str, tuple[str, str]] = {
    "main.index": ("/", "public"),
    "main.section": ("/questions/", "public"),
    "main.healthz": ("/healthz", "public"),
    "main.readyz": ("/readyz", "public"),
    "static": ("/static/{static}", "public"),
    "accounts.login": ("/login", "public"),
    "accounts.register": ("/register", "public"),
    "accounts.logout": ("/logout", "signed_in"),
    "accounts.account": ("/account", "signed_in"),
    "accounts.create_token": ("/account/tokens", "signed_in"),
    "accounts.revoke_token": ("/account/tokens/{token}/revoke", "owner:member"),
    "accounts.profile": ("/u/mia", "public"),
    "accounts.logout_everywhere": ("/account/logout-everywhere", "signed_in"),
    "accounts.change_password": ("/account/password", "signed_in"),
    "accounts.membership_visibility": ("/account/memberships", "signed_in"),
    "accounts.send_confirmation_again": ("/account/confirm-again", "signed_in"),
    "accounts.confirm_email": ("/confirm/not-a-signed-link", "public"),
    "accounts.forgot_password": ("/forgot-password", "public"),
    "accounts.reset_password": ("/reset-password/not-a-signed-link", "public"),
    "admin.dashboard": ("/admin/", "admin"),
    "admin.users": ("/admin/users", "admin"),
    "admin.user": ("/admin/users/{otto}", "admin"),
    "admin.set_role": ("/admin/users/{otto}/role", "admin"),
    "admin.suspend": ("/admin/users/{otto}/suspend", "admin"),
    "admin.ban": ("/admin/users/{otto}/ban", "admin"),
    "admin.restore": ("/admin/users/{otto}/restore", "admin"),
    "admin.audit_log": ("/admin/audit", "admin"),
    "admin.audit_csv": ("/admin/audit.csv", "admin"),
    "appeals.mine": ("/appeals/", "signed_in"),
    "appeals.queue": ("/appeals/queue", "signed_in"),
    "appeals.submit": ("/appeals/decisions/0", "signed_in"),
    "appeals.decide": ("/appeals/0/decide", "moderator"),
    "notifications.index": ("/notifications/", "signed_in"),
    "notifications.mark_read": ("/notifications/read", "signed_in"),
    "question_feed.index": ("/questions/", "public"),
    "community.index": ("/communities/", "public"),
    "work.index": ("/my-work", "signed_in"),
    "community.show": (C, "public"),
    "community.join": (C + "/join", "signed_in"),
    "community.leave": (C + "/leave", "signed_in"),
    "community.moderation.queue": (C + "/moderation/", "moderator"),
    "community.moderation.decide_comment": (C + "/moderation/comments/{cid}/hide", "moderator"),
    "community.moderation.decide_question": (C + "/moderation/questions/{qid}/hide", "moderator"),
    "community.governance.propose": ("/communities/propose", "signed_in"),
    "community.governance.proposals": ("/communities/proposals", "admin"),
    "community.governance.decide": ("/communities/{proposed}/decision", "admin"),
    "community.governance.archive": (C + "/archive", "admin"),
    "community.governance.rules": (C + "/rules", "public"),
    "community.governance.moderation_log": (C + "/moderation-log", "public"),
    "community.governance.settings": (C + "/settings", "moderator"),
    "community.governance.appoint": (C + "/moderators", "moderator"),
    "community.governance.remove_moderator": (C + "/moderators/{moe}/remove", "moderator"),
    "community.moderation.decide": (C + "/moderation/comment/{cid}/decide", "moderator"),
    "community.questions.index": (C + "/questions/", "public"),
    "community.questions.new": (C + "/questions/new", "signed_in"),
    "community.questions.show": (Q, "public"),
    "community.questions.edit": (Q + "/edit", "owner:member"),
    "community.questions.support": (Q + "/support", "signed_in"),
    "community.questions.withdraw": (Q + "/withdraw", "signed_in"),
    "community.questions.watch": (Q + "/watch", "signed_in"),
    "community.questions.unwatch": (Q + "/unwatch", "signed_in"),
    "community.questions.move_support": (Q + "/move-support", "signed_in"),
    "community.questions.flag": (Q + "/flag", "signed_in"),
    "community.questions.review": (Q + "/review", "signed_in"),
    "community.questions.start_analysis": (Q + "/analysis", "signed_in"),
    "community.questions.answer": (Q + "/answer", "signed_in"),
    "community.questions.close": (Q + "/close", "signed_in"),
    "community.comments.add": (Q + "/comments/", "signed_in"),
    "community.comments.edit": (Q + "/comments/{cid}/edit", "owner:member"),
    "community.comments.delete": (Q + "/comments/{cid}/delete", "owner:member"),
    "community.comments.flag": (Q + "/comments/{cid}/flag", "signed_in"),
    "community.support.index": (C + "/support/", "public"),
    "community.support.new": (C + "/support/new", "signed_in"),
    "community.support.show": (C + "/support/{tid}", "public"),
    "community.support.reply": (C + "/support/{tid}/replies", "signed_in"),
    "community.support.follow": (C + "/support/{tid}/follow", "signed_in"),
    "community.support.edit": (C + "/support/posts/{pid}/edit", "owner:member"),
    "community.support.delete": (C + "/support/posts/{pid}/delete", "owner:member"),
    "community.support.helped": (C + "/support/posts/{pid}/helped", "signed_in"),
    "community.support.flag": (C + "/support/posts/{pid}/flag", "signed_in"),
    "community.moderation.decide_post": (C + "/moderation/posts/{pid}/hide", "moderator"),
    "support_digest.index": ("/whats-new/", "signed_in"),
    "support_digest.seen": ("/whats-new/seen", "signed_in"),
    "support_digest.email": ("/whats-new/email", "signed_in"),
    "support_digest.unsubscribe": ("/whats-new/unsubscribe/not-a-signed-link", "public"),
    "community.rounds.index": (C + "/rounds/", "public"),
    "community.rounds.new": (C + "/rounds/new", "signed_in"),
    "community.rounds.show": (C + "/rounds/1", "public"),
    "community.rounds.results": (C + "/rounds/1/results", "public"),
    "community.rounds.close": (C + "/rounds/1/close", "signed_in"),
    "community.rounds.compare": (C + "/rounds/1/compare", "signed_in"),
    "community.rounds.take_part": (C + "/rounds/1/take-part", "signed_in"),
    "data.index": ("/datasets/", "public"),
    "data.new": ("/datasets/new", "signed_in"),
    "data.show": ("/datasets/{draft}", "owner:researcher"),
    "data.edit": ("/datasets/{draft}/edit", "owner:researcher"),
    "data.new_version": ("/datasets/{draft}/versions/new", "owner:researcher"),
    "data.download": (D + "/download/original", "owner:researcher"),
    "data.fix": (D + "/fix", "owner:researcher"),
    "data.confirm": (D + "/confirm", "owner:researcher"),
    "data.accept_risk": (D + "/accept-risk", "admin"),
    "data.publish": (D + "/publish", "owner:researcher"),
    "data.report_json": (D + "/report.json", "owner:researcher"),
    "data.schema": (D + "/schema", "owner:researcher"),
    "data.compare": ("/datasets/{draft}/compare?from=1&to=1", "owner:researcher"),
    "data.compare_csv": ("/datasets/{draft}/compare.csv?from=1&to=1", "owner:researcher"),
    "jobs.show": ("/jobs/{job}", "owner:researcher"),
    "reanalysis.index": ("/analyses/", "public"),
    "reanalysis.new": ("/analyses/new", "signed_in"),
    "reanalysis.show": (R, "owner:researcher"),
    "reanalysis.mapping": (R + "/map", "owner:researcher"),
    "reanalysis.method": (R + "/method", "owner:researcher"),
    "reanalysis.network_builder": (R + "/network", "owner:researcher"),
    "reanalysis.rerun": (R + "/rerun", "owner:researcher"),
    "reanalysis.edit": (R + "/edit", "owner:researcher"),
    "reanalysis.run_newest": (R + "/newest", "owner:researcher"),
    "reanalysis.follow": (R + "/follow", "owner:researcher"),
    "reanalysis.rate_certainty": (R + "/certainty", "owner:researcher"),
    "reanalysis.results": (R + "/results.json", "owner:researcher"),
    "reanalysis.plot": (R + "/forest.svg", "owner:researcher"),
    "play.index": ("/play/", "public"),
    "play.puzzle": ("/play/{puzzle}", "public"),
    "play.submit_form": ("/play/{puzzle}/solutions", "public"),
    "play.set_nickname": ("/play/nickname", "public"),
    "play.history": ("/play/history", "signed_in"),
    "play.alignments": ("/play/alignments/", "public"),
    "play.alignment": (A, "public"),
    "play.download_alignment": (A + "/download?format=stockholm", "public"),
    "play.alignment_credits": (A + "/credits.csv", "public"),
    "play.alignment_agreement": (A + "/agreement.csv", "public"),
    "play.splice_alignment": (A + "/splice", "reviewer"),
    "play.import_sequences": ("/play/alignments/import", "reviewer"),
    "play.alignment_report_csv": (A + "/report.csv", "public"),
    "play.alignment_report_json": (A + "/report.json", "public"),
    "community.questions.link_run": (Q + "/runs", "reviewer"),
    "community.questions.decide_dataset": (Q + "/datasets/{dataset}", "reviewer"),
    "treatments.index": (T + "/", "public"),
    "treatments.show": (T + "/{treatment}", "public"),
    "treatments.propose": (T + "/propose", "signed_in"),
    "treatments.decide": (T + "/{proposal}/approve", "moderator"),
    "treatments.new_report": (T + "/report", "signed_in"),
    "treatments.edit_report": (T + "/reports/{report}/edit", "owner:member"),
    "treatments.withdraw_report": (T + "/reports/{report}/withdraw", "owner:member"),
    "treatments.consent": (T + "/reports/{report}/consent/give", "owner:member"),
    "treatments.publish": (T + "/publish", "reviewer"),
    "api_docs.docs": ("/api/docs", "public"),
    "api_docs.openapi": ("/api/v1/openapi.json", "public"),
    "api.list_datasets": ("/api/v1/datasets", "public"),
    "api.create_dataset": ("/api/v1/datasets", "signed_in"),
    "api.get_dataset": ("/api/v1/datasets/{draft}", "owner:researcher"),
    "api.create_version": ("/api/v1/datasets/{draft}/versions", "owner:researcher"),
    "api.compare_versions": ("/api/v1/datasets/{draft}/compare?from=1&to=1", "owner:researcher"),
    "api.publish_version": ("/api/v1" + D + "/publish", "owner:researcher"),
    "api.confirm_findings": ("/api/v1" + D + "/confirmations", "owner:researcher"),
    "api.accept_risk": ("/api/v1" + D + "/risk-acceptance", "admin"),
    "api.get_job": ("/api/v1/jobs/{job}", "owner:researcher"),
    "api.list_analyses": ("/api/v1/analyses", "public"),
    "api.create_analysis": ("/api/v1/analyses", "signed_in"),
    "api.get_analysis": ("/api/v1/analyses/{run}", "owner:researcher"),
    "api.list_communities": ("/api/v1/communities", "public"),
    "api.get_community": ("/api/v1/communities/{slug}", "public"),
    "api.join": ("/api/v1/communities/{slug}/join", "signed_in"),
    "api.leave": ("/api/v1/communities/{slug}/leave", "signed_in"),
    "api.propose": ("/api/v1/communities/{slug}/questions", "signed_in"),
    "api.list_questions": ("/api/v1/questions", "public"),
    "api.get_question": ("/api/v1/questions/{qid}", "public"),
    "api.comment": ("/api/v1/questions/{qid}/comments", "signed_in"),
    "api.support": ("/api/v1/questions/{qid}/support", "signed_in"),
    "api.withdraw": ("/api/v1/questions/{qid}/withdraw", "signed_in"),
    "api.leaderboard": ("/api/v1/leaderboard", "public"),
    "api.list_threads": ("/api/v1" + C + "/threads", "public"),
    "api.get_thread": ("/api/v1" + C + "/threads/{tid}", "public"),
    "api.start_thread": ("/api/v1" + C + "/threads", "signed_in"),
    "api.list_puzzles": ("/api/v1/puzzles", "public"),
    "api.create_alignment": ("/api/v1/alignments", "reviewer"),
    "api.get_alignment": ("/api/v1/alignments/{alignment}", "public"),
    "api.get_puzzle": ("/api/v1/puzzles/{puzzle}", "public"),
    "api.post_solution": ("/api/v1/puzzles/{puzzle}/solutions", "public"),
    "api.post_hint": ("/api/v1/puzzles/{puzzle}/hints", "public"),
    "api.similar_questions": ("/api/v1" + C + "/similar-questions?title=chemo", "public"),
    "api.list_treatments": ("/api/v1" + T, "public"),
    "api.get_treatment": ("/api/v1" + T + "/{treatment}", "public"),
    "api.list_reports": ("/api/v1/treatment-reports", "signed_in"),
    "api.create_report": ("/api/v1" + C + "/treatment-reports", "signed_in"),
    "api.get_report": ("/api/v1/treatment-reports/{report}", "owner:member"),
    "api.update_report": ("/api/v1/treatment-reports/{report}", "owner:member"),
    "api.withdraw_report": ("/api/v1/treatment-reports/{report}", "owner:member"),
}

#: What a hostile form post carries: every field an action might read.
FORM = {
    "body": "Changed by the authorisation sweep.",
    "title": "Changed by the sweep, " * 3,
    "population": "p",
    "intervention": "i",
    "comparator": "c",
    "outcome": "o",
    "rationale": "r",
    "role": "admin",
    "name": "sweep",
    "scope": "write",
    "change_note": "sweep",
    "reason": "spam",
    "nickname": "sweeper",
    "verdict": "supports",
    "rows": "[]",
    "description": "sweep",
}

REFUSED = {302, 303, 400, 401, 403, 404, 405}


def allowed(access: str, role: str) -> bool:
    if access in ("public",):
        return True
    if access == "signed_in":
        return role != "anonymous"
    if access.startswith("owner:"):
        return role in (access.split(":", 1)[1], "admin")
    if access == "reviewer":
        return role in ("researcher", "moderator", "admin")
    if access == "moderator":
        return role in ("moderator", "admin")
    return role == access


def test_every_route_is_classified(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - set(ROUTES))
    stale = sorted(set(ROUTES) - endpoints)
    assert not missing, f"classify these routes in ROUTES: {missing}"
    assert not stale, f"these routes no longer exist: {stale}"


@pytest.fixture
def world(make_app, auth, make_user):
    app = make_app()
    client = app.test_client()
    sharing = Sharing(client, AuthActions(client), make_user)
    published = sharing.share("BCG trials", BCG_CSV)
    draft = sharing.share("Private draft", BCG_CSV, publish=False)
    ids = {name: make_user(name) for name in ("mia", "otto")}
    ids["moe"] = make_user("moe", role=Role.MODERATOR)
    ids["ada"] = make_user("ada", role=Role.ADMIN)
    db_session = app.extensions["portal.db"].factory()
    rita = db_session.scalar(select(User).where(User.username == "rita"))
    users = {name: db_session.get(User, user_id) for name, user_id in ids.items()}
    community = services.create_community(
        db_session, slug="colon-cancer", name="Colon cancer", condition="Colon cancer"
    )
    for user in (*users.values(), rita):
        services.join(
            db_session, community, user, role="moderator" if user.username == "moe" else "member"
        )
    mia = users["mia"]
    proposed = founding.propose(
        db_session,
        mia,
        founding.Proposal(name="Mia's proposal", condition="Lupus", description="For lupus."),
    )
    question = questions.propose(db_session, community, mia, pico())
    comment = threads.add(db_session, question, mia, "Mia's own words.")
    story = support.start_thread(
        db_session, community, mia, kind="story", title="Mia's story", body="It began..."
    )
    mias_reply = support.reply(db_session, story, mia, "Mia's own reply.")
    version = building.find_version(db_session, rita, published, 1)
    run = building.create_run(
        db_session, rita, title="Rita's draft run", kind="aggregate", versions=[version]
    )
    token, _plain = create_token(db_session, mia, name="mia's", scope="write")
    puzzle = ensure_tutorial(db_session)
    db_session.add(
        AlignmentSource(
            slug="tiny",
            title="Tiny",
            kind="dna",
            names=["a", "b"],
            rows=["AC-GT", "ACGGT"],
            original_rows=["AC-GT", "ACGGT"],
        )
    )
    moe = users["moe"]
    treatment = treatments.propose(db_session, community, moe, name="Aspirin", kind="drug")
    proposal = treatments.propose(
        db_session, community, users["otto"], name="Yoga", kind="non-drug"
    )
    report = treatments.create_report(
        db_session,
        community,
        mia,
        treatments.ReportInput(
            treatment=str(treatment.id),
            started_on="2025-01-01",
            effectiveness="moderate",
            adherence="4",
            burden="2",
            cost_band="low",
            member=str(mia.id),
        ),
        today=date.today(),
        floor=Floor(k=5, trusted_after=timedelta(days=7)),
    )
    db_session.commit()
    plain_tokens = {}
    for role, name in USERS.items():
        user = db_session.scalar(select(User).where(User.username == name))
        plain_tokens[role] = create_token(db_session, user, name="sweep", scope="write")[1]
    db_session.commit()
    job = db_session.scalar(select(Job).where(Job.owner_id == rita.id).order_by(Job.created_at))
    values = {
        "slug": community.slug,
        "proposed": proposed.slug,
        "moe": users["moe"].id,
        "qid": question.id,
        "cid": comment.id,
        "tid": story.id,
        "pid": mias_reply.id,
        "draft": draft,
        "run": run.id,
        "job": job.id,
        "token": token.id,
        "otto": users["otto"].id,
        "puzzle": puzzle.id,
        "static": "portal.css",
        "treatment": treatment.id,
        "proposal": proposal.id,
        "report": report.id,
        "alignment": "tiny",
        "dataset": db_session.scalar(select(Dataset.id).where(Dataset.slug == published)),
    }
    ids = {
        "question": question.id,
        "comment": comment.id,
        "post": mias_reply.id,
        "token": token.id,
        "run": run.id,
        "report": report.id,
        "proposal": proposal.id,
        "community": community.id,
        "proposed": proposed.id,
    }
    db_session.close()
    return app, values, plain_tokens, ids


def _client(app, role: str) -> tuple[FlaskClient, str]:
    client = app.test_client()
    if role == "anonymous":
        return client, csrf_token(client, "/login")
    response = AuthActions(client).login(USERS[role])
    assert response.status_code == 302
    return client, csrf_token(client, "/account")


@pytest.mark.parametrize("role", ROLES)
def test_route_access_for_every_role(world, role):
    app, values, tokens, ids = world
    client, token = _client(app, role)
    problems = []
    # Logging out (here, or everywhere) ends the session the sweep uses: last of all.
    ending = ("accounts.logout", "accounts.logout_everywhere")
    rules = sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint in ending)
    for rule in rules:
        template, access = ROUTES[rule.endpoint]
        url = template.format(**values)
        api = url.startswith("/api/v1/")
        headers = {"Authorization": f"Bearer {tokens[role]}"} if api and role in tokens else {}
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            data = {**FORM, "csrf_token": token}
            if rule.endpoint == "admin.set_role":
                data[f"u{values['otto']}-role"] = "member" if role == "admin" else "admin"
            if method == "GET":
                response = client.get(url, headers=headers)
            elif api:
                response = client.open(
                    url, method=method, headers={"X-CSRFToken": token, **headers}, json={}
                )
            else:
                response = client.post(url, headers=headers, data=data)
            status = response.status_code
            response.close()
            where = f"{method} {url} as {role} -> {status}"
            if status >= 500:
                problems.append(where + " (server error)")
            elif not allowed(access, role):
                if status not in REFUSED:
                    problems.append(where + f" ({access}: should be refused)")
                elif (
                    status in (302, 303)
                    and method == "GET"
                    and role == "anonymous"
                    and "/login" not in response.headers.get("Location", "")
                ):
                    problems.append(where + " (a visitor should be sent to log in)")
    assert not problems, "\n".join(problems)

    # Whatever was refused changed nothing.
    db_session = app.extensions["portal.db"].factory()
    comment = db_session.get(Comment, ids["comment"])
    if role not in ("member", "moderator", "admin"):
        assert comment.body == "Mia's own words." and not comment.is_deleted
        assert not comment.hidden
        post = db_session.get(SupportPost, ids["post"])
        assert post.body == "Mia's own reply." and not post.is_deleted and not post.hidden
    if role != "member":
        assert db_session.get(ApiToken, ids["token"]).revoked_at is None
        assert db_session.get(Question, ids["question"]).title == pico().title
    if role not in ("researcher", "admin"):
        draft = db_session.scalar(select(Dataset).where(Dataset.slug == values["draft"]))
        assert not draft.is_published and draft.title == "Private draft"
        assert db_session.get(AnalysisRun, ids["run"]).title == "Rita's draft run"
    if role != "admin":
        assert db_session.get(User, values["otto"]).role == Role.MEMBER.value
    if role != "member":
        report = db_session.get(TreatmentReport, ids["report"])
        assert report is not None and report.effectiveness == "moderate"
        assert not report.consent_to_publish
    if role not in ("moderator", "admin"):
        assert db_session.get(Treatment, ids["proposal"]).status == "proposed"
        community = db_session.get(Community, ids["community"])
        assert community.question_proposers == "members" and community.rules == ""
        moderators = db_session.scalars(
            select(Membership.user_id).where(
                Membership.community_id == community.id, Membership.role == "moderator"
            )
        ).all()
        assert moderators == [values["moe"]]
    if role != "admin":
        assert db_session.get(Community, ids["community"]).status == "active"
        assert db_session.get(Community, ids["proposed"]).status == "proposed"
    db_session.close()
