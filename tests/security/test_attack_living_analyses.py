"""Living analyses, attacked: following what one may not see, and notices that would
point at a run the follower may not see."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.community.notifications.models import Notification
from portal.reanalysis import living
from portal.reanalysis.models import AnalysisFollow, AnalysisRun
from tests.portal.conftest import csrf_token
from tests.portal.reanalysis.conftest import NAMED_COLUMNS, NAMED_CSV, Sharing, new_token


def analyse(client, slug: str, columns: dict) -> dict:
    return client.post(
        "/api/v1/analyses",
        json={
            "title": "Private work",
            "kind": "aggregate",
            "datasets": [{"slug": slug, "version": 1}],
            "harmonisation": {"columns": columns, "study": "study"},
            "measure": "RR",
            "method": "REML",
        },
        headers={"Authorization": f"Bearer {new_token(client)}"},
    ).get_json()


def test_nobody_follows_or_hears_of_a_run_they_may_not_see(app, client, auth, make_user, session):
    sharing = Sharing(client, auth, make_user)
    slug = sharing.share("BCG named", NAMED_CSV)
    for name in ("ada", "eve"):
        make_user(name)

    # ada's run failed: it is hers alone; eve can neither follow it nor make runs from it
    auth.login("ada")
    failed = analyse(client, slug, {**NAMED_COLUMNS, "ai": "n_treat", "n1i": "events_treat"})
    assert failed["job"]["state"] == "failed"
    public = analyse(client, slug, NAMED_COLUMNS)["analysis"]["id"]
    auth.logout()
    auth.login("eve")
    token = csrf_token(client, "/analyses/")
    for action in ("follow", "edit", "newest", "rerun"):
        response = client.post(
            f"/analyses/{failed['analysis']['id']}/{action}", data={"csrf_token": token}
        )
        assert response.status_code == 404, action
    assert session.scalar(select(func.count()).select_from(AnalysisFollow)) == 0

    # eve follows ada's public run; ada then edits it into a draft and a failed run of her
    # own: eve hears of neither
    page = f"/analyses/{public}"
    assert client.post(f"{page}/follow", data={"csrf_token": token}).status_code == 303
    auth.logout()
    auth.login("ada")
    token = csrf_token(client, page)
    assert client.post(f"{page}/edit", data={"csrf_token": token}).status_code == 303
    draft = session.scalars(select(AnalysisRun).where(AnalysisRun.rerun_of_id == public)).one()
    assert draft.status == "draft"
    assert living.notify_followers(app) == 0
    assert session.scalar(select(func.count()).select_from(Notification)) == 0
    # a visitor cannot follow at all
    auth.logout()
    response = client.post(f"{page}/follow", data={"csrf_token": csrf_token(client, "/login")})
    assert response.status_code in (302, 401)
