"""The layout, the home page and the error pages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal import db
from portal.community.models import Community
from portal.db import new_session


def test_home_page_explains_the_portal_and_links_every_section(client):
    page = client.get("/").get_data(as_text=True)
    assert "<h1>Move research forward, together.</h1>" in page
    for label, href in [
        ("Datasets", "/datasets/"),
        ("Questions", "/questions/"),
        ("Play", "/play/"),
        ("Analyses", "/analyses/"),
        ("Communities", "/communities/"),
    ]:
        assert f'<a href="{href}">{label}</a>' in page
    assert 'href="#main"' in page, "skip link for keyboard users"
    # the pitch for the game leads to it, signed in or not
    hero = page.split('<section class="hero">')[1].split("</section>")[0]
    assert '<a class="button secondary" href="/play/">Play the puzzle</a>' in hero
    assert '<a href="/play/">playing a sequence-alignment puzzle</a>' in hero


def test_home_page_shows_what_is_new(app, client):
    with app.app_context():
        session = new_session()
        session.add(Community(slug="ms", name="Multiple sclerosis", condition="MS"))
        session.commit()
        session.close()
    assert "Multiple sclerosis" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("section", ["datasets", "questions", "play", "analyses"])
def test_every_section_has_a_page(client, section):
    response = client.get(f"/{section}/")
    assert response.status_code == 200
    assert 'aria-current="page"' in response.get_data(as_text=True)


def test_unknown_pages_get_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Page not found" in page and "Back to the home page" in page


def test_api_clients_get_json_errors(client):
    response = client.get("/nowhere", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json() == {
        "error": {
            "code": "not_found",
            "message": "There is no page at this address.",
            "field": None,
        }
    }


def test_a_crash_gets_a_friendly_500_and_the_session_is_rolled_back(make_app):
    app = make_app(TESTING=False)  # let the error handler answer instead of re-raising

    @app.get("/boom")
    def boom():
        db.session().add(Community(slug="half-written", name="x", condition="x"))
        db.session().flush()
        raise RuntimeError("simulated failure")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)
    assert "RuntimeError" not in response.get_data(as_text=True)
    with app.app_context():
        session = new_session()
        assert session.scalar(select(Community).where(Community.slug == "half-written")) is None
        session.close()


def test_static_assets_are_served_by_the_portal(client):
    with client.get("/static/portal.css") as response:
        assert response.status_code == 200
        assert response.mimetype == "text/css"


def test_health_and_readiness(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ok", "database": "ok"}
