"""`portal demo load` gives every demo community a treatment list and synthetic reports."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.accounts.models import User
from portal.accounts.passwords import UNUSABLE_PASSWORD, verify_password
from portal.treatments.demo import LISTS, SYNTHETIC_PREFIX
from portal.treatments.models import Treatment, TreatmentReport


def counts(session):
    session.expire_all()
    return tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (Treatment, TreatmentReport, User)
    )


def test_demo_load_is_idempotent_and_shows_charts_labelled_synthetic(runner, session, client):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    loaded = counts(session)
    assert loaded[0] == sum(len(entries) for entries in LISTS.values())
    assert loaded[1] == sum(n for entries in LISTS.values() for *_, n, _m, _s in entries)
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0, second.output
    assert counts(session) == loaded

    authors = set(
        session.scalars(
            select(User.username).join(TreatmentReport, TreatmentReport.user_id == User.id)
        )
    )
    assert authors and all(name.startswith(SYNTHETIC_PREFIX) for name in authors)
    page = client.get("/communities/smoking-cessation/treatments/").get_data(as_text=True)
    assert "synthetic demo accounts" in page
    assert "<svg" in page and "n = 35 reports across 2 treatments" in page
    assert "Hypnotherapy" in page  # listed, with 3 reporters: below k, so not in the chart
    chart = page[page.index("<svg") : page.index("</svg>")]
    assert "Hypnotherapy" not in chart


def test_nobody_can_sign_in_as_an_invented_member(runner, session, client, auth):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    username = f"{SYNTHETIC_PREFIX}1"
    stored = session.scalar(select(User.password_hash).where(User.username == username))
    assert stored == UNUSABLE_PASSWORD
    for password in ("", UNUSABLE_PASSWORD, "open-research-demo", "x" * 12):
        auth.login(username, password)
        assert b"/logout" not in client.get("/").data, password
    assert not verify_password(stored, "")
