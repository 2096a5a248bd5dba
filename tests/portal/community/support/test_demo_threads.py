"""The demo's support threads: loaded once, shown on the pages, the anonymous one unnamed."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.community.support.models import HelpedReaction, SupportPost


def test_demo_load_adds_support_threads_once_and_keeps_the_anonymous_one_unnamed(
    runner, session, client
):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    posts = session.scalar(select(func.count()).select_from(SupportPost))
    assert posts >= 6 and session.scalar(select(func.count()).select_from(HelpedReaction)) >= 3
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0 and "0 created" in again.output
    assert session.scalar(select(func.count()).select_from(SupportPost)) == posts

    listing = client.get("/communities/colon-cancer/support/").text
    assert "A year of chemotherapy, week by week" in listing
    assert "were invented to show how the portal works" in listing
    row = listing.split("Ginger and short walks for the nausea")[1].split("</li>")[0]
    assert "by a member" in row and "Priya" not in row
