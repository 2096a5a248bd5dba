"""Anonymous pages kept for a second per web process, and the short-lived
dictionary behind every such copy. The tests move the copies' clocks by hand,
so they say exactly when a change becomes visible."""

from __future__ import annotations

import pytest

from portal import db
from portal.community.models import Community
from portal.page_cache import EXTENSION as PAGE_CACHE
from portal.settings import defaults, finalise
from portal.short_cache import ShortLivedCache
from tests.portal.conftest import Clock


def test_a_copy_lives_its_seconds_and_no_longer():
    clock = Clock()
    cache = ShortLivedCache(2.0, clock)
    assert cache.get_or_make("k", lambda: "first") == "first"
    clock.now += 1.9
    assert cache.get_or_make("k", lambda: "second") == "first"
    clock.now += 0.2
    assert cache.get_or_make("k", lambda: "third") == "third"
    cache.forget(lambda key: key == "k")
    assert cache.get("k") is None


def test_a_full_cache_drops_the_expired_then_the_oldest():
    clock = Clock()
    cache = ShortLivedCache(10.0, clock, max_entries=3)
    for key in "abc":
        cache.put(key, key)
        clock.now += 4
    cache.put("d", "d")  # "a" has expired: only it goes
    assert [cache.get(k) for k in "abcd"] == [None, "b", "c", "d"]
    cache.put("e", "e")  # nothing has expired: the oldest goes
    assert len(cache) == 3 and cache.get("b") is None and cache.get("e") == "e"


def test_a_value_read_before_a_forget_is_not_kept_after_it():
    cache = ShortLivedCache(10.0)
    stale = cache.get_or_make("k", lambda: (cache.forget(lambda key: True), "stale")[1])
    assert stale == "stale" and cache.get("k") is None


def test_replacing_a_value_keeps_its_expiry():
    clock = Clock()
    cache = ShortLivedCache(2.0, clock)
    cache.put("k", "old")
    clock.now += 1.5
    cache.replace("k", "new")
    cache.replace("gone", "never kept")
    assert cache.get("k") == "new" and cache.get("gone") is None
    clock.now += 0.6
    assert cache.get("k") is None


def test_zero_seconds_keeps_nothing():
    cache = ShortLivedCache(0.0)
    cache.put("k", "value")
    assert cache.get("k") is None


@pytest.mark.parametrize(("env", "expected"), [("production", 1.0), ("development", 0.0)])
def test_anonymous_pages_are_kept_only_in_production_unless_told(env, expected, tmp_path):
    public = {"BASE_URL": "https://portal.example.org"}
    config = {**defaults(str(tmp_path)), "PORTAL_ENV": env, **public}
    finalise(config)
    assert config["PAGE_CACHE_SECONDS"] == expected
    told = {**defaults(str(tmp_path)), "PORTAL_ENV": env, "PAGE_CACHE_SECONDS": 5.0, **public}
    finalise(told)
    assert told["PAGE_CACHE_SECONDS"] == 5.0


# -- anonymous pages ----------------------------------------------------------------


@pytest.fixture
def kept_app(make_app):
    app = make_app(PAGE_CACHE_SECONDS=2.0)
    clock = Clock()
    app.extensions[PAGE_CACHE].clock = clock
    return app, clock


def _add_community(app, slug: str) -> None:
    with app.app_context():
        session = db.new_session()
        session.add(
            Community(
                slug=slug, name=f"Community {slug}", condition=slug, description="A test community."
            )
        )
        session.commit()
        session.close()


def test_an_anonymous_page_is_served_from_the_copy_until_it_expires(kept_app):
    app, clock = kept_app
    visitor = app.test_client(use_cookies=False)
    first = visitor.get("/communities/")
    assert first.status_code == 200 and b"Community lupus" not in first.data
    _add_community(app, "lupus")
    again = visitor.get("/communities/")
    assert again.data == first.data  # the copy
    # Each copy is still a response of its own: request id and security headers.
    assert again.headers["X-Request-ID"] != first.headers["X-Request-ID"]
    assert again.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    # A visitor with any cookie, or a token, is never served a copy.
    fresh = visitor.get("/communities/", headers={"Cookie": "session=x"})
    assert b"Community lupus" in fresh.data
    clock.now += 2.1
    assert b"Community lupus" in visitor.get("/communities/").data


def test_serving_a_copy_never_extends_its_life(kept_app):
    app, clock = kept_app
    visitor = app.test_client(use_cookies=False)
    visitor.get("/communities/")  # the copy is made at 0 s and lives 2 s
    _add_community(app, "lupus")
    clock.now += 1.5
    assert b"Community lupus" not in visitor.get("/communities/").data  # served at 1.5 s
    clock.now += 0.6
    assert b"Community lupus" in visitor.get("/communities/").data  # 2.1 s: a new copy


def test_pages_that_touch_the_session_are_never_kept(kept_app):
    """The play page carries a CSRF token (it has a form), so it is the visitor's own."""
    app, clock = kept_app
    visitor = app.test_client(use_cookies=False)
    first = visitor.get("/play/")
    assert "Set-Cookie" in first.headers
    cache = app.extensions[PAGE_CACHE]
    assert cache.get(("http", "localhost", "/play/?")) is None
    assert visitor.get("/communities/").status_code == 200
    assert cache.get(("http", "localhost", "/communities/?")) is not None


def test_errors_and_posts_are_never_kept(kept_app):
    app, _clock = kept_app
    visitor = app.test_client(use_cookies=False)
    assert visitor.get("/communities/no-such-community").status_code == 404
    assert visitor.post("/communities/").status_code in (400, 405)
    assert app.extensions[PAGE_CACHE]._entries == {}


def test_development_serves_every_page_fresh(make_app):
    app = make_app()
    assert app.config["PAGE_CACHE_SECONDS"] == 0.0
    visitor = app.test_client(use_cookies=False)
    visitor.get("/communities/")
    _add_community(app, "lupus")
    assert b"Community lupus" in visitor.get("/communities/").data
