"""Fixtures for the web application: app, client, runner, auth, db (a plugin that
the root conftest loads for every test package).

Each database test runs once per backend in ``BACKENDS``. The schema is built once
per backend by the real Alembic migrations; between tests every table is emptied.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from email import policy as email_policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from alembic import command
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from portal import create_app, db
from portal.accounts.models import Role
from portal.accounts.services import register_user
from portal.migrate import alembic_config
from portal.models import Base
from tests.conftest import BACKENDS, POSTGRES_URL

DEFAULT_PASSWORD = "correct horse battery staple"


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def migrate(url: str) -> None:
    command.upgrade(alembic_config(url), "head")


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated, empty database on one backend, shared by the session's tests."""
    if request.param == "postgresql":
        _reset_postgres(POSTGRES_URL)
        url = POSTGRES_URL
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'portal.db'}"
    migrate(url)
    return url


def _empty_tables(url: str) -> None:
    engine = create_engine(url)
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # A connection a failed test left in a transaction would make TRUNCATE wait
            # for ever: fail this test's teardown instead, naming the cause.
            connection.execute(text("SET lock_timeout = '60s'"))
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))
    engine.dispose()


@pytest.fixture
def app_config(tmp_path: Path, database_url: str) -> dict:
    """The configuration each test app starts from; tests may change it before `app`."""
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATA_DIR": str(tmp_path / "data"),
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "REGISTER_RATE_LIMIT": "1000 per minute",
        "JOBS_INLINE": True,
    }


@pytest.fixture
def make_app(app_config: dict, database_url: str) -> Iterator:
    """Build apps on the test database; afterwards close their pools and empty the tables."""
    apps: list[Flask] = []

    def make(**overrides) -> Flask:
        application = create_app({**app_config, **overrides})
        apps.append(application)
        return application

    yield make
    for application in apps:
        with application.app_context():
            db.engine().dispose()
    _empty_tables(database_url)


@pytest.fixture
def app(make_app) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """A database session outside any request, for arranging and checking state.

    It deliberately pushes no app context: a request made while one is active
    would reuse it, and with it the previous request's session.
    """
    db_session = app.extensions["portal.db"].factory()
    yield db_session
    db_session.close()


CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(client: FlaskClient, url: str) -> str:
    """The CSRF token of the form on ``url``, read the way a browser would get it."""
    page = client.get(url)
    match = CSRF_PATTERN.search(page.get_data(as_text=True))
    assert match, f"no CSRF token in the form on {url}"
    return match.group(1)


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def register(
        self,
        username: str = "alice",
        email: str | None = None,
        password: str = DEFAULT_PASSWORD,
        **extra: str,
    ):
        data = {
            "csrf_token": csrf_token(self._client, "/register"),
            "username": username,
            "email": email if email is not None else f"{username}@example.org",
            "password": password,
            "confirm": extra.pop("confirm", password),
            **extra,
        }
        return self._client.post("/register", data=data)

    def login(
        self,
        login: str = "alice",
        password: str = DEFAULT_PASSWORD,
        next_url: str | None = None,
        environ: dict | None = None,
        remember: bool = False,
    ):
        url = "/login" + (f"?next={next_url}" if next_url else "")
        data = {
            "csrf_token": csrf_token(self._client, "/login"),
            "login": login,
            "password": password,
        }
        if remember:
            data["remember"] = "y"
        return self._client.post(url, data=data, environ_base=environ or {})

    def logout(self):
        token = csrf_token(self._client, "/account")
        return self._client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def make_user(app: Flask):
    """Create a user with a role directly through the service layer."""

    def make(
        username: str,
        role: Role = Role.MEMBER,
        password: str = DEFAULT_PASSWORD,
        *,
        confirmed: bool = True,
    ):
        # The session closes whatever happens: a refused user must not leave a
        # transaction open for the tables' emptying to wait on.
        with app.app_context(), db.new_session() as db_session:
            user = register_user(
                db_session,
                username=username,
                email=f"{username}@example.org",
                password=password,
                role=role,
                confirmed=confirmed,
            )
            db_session.commit()
            return user.id

    return make


class Mailbox:
    """The messages the app wrote to its mail folder (the embedded default transport
    writes one .eml file per message), oldest first."""

    def __init__(self, app: Flask) -> None:
        url = app.config["MAIL_URL"]
        assert url.startswith("file://"), f"the mailbox reads a file:// MAIL_URL, not {url}"
        self.folder = Path(url.removeprefix("file://"))

    def messages(self, to: str | None = None) -> list[EmailMessage]:
        if not self.folder.exists():
            return []
        found = []
        for path in sorted(self.folder.glob("*.eml")):
            message = BytesParser(policy=email_policy.default).parsebytes(path.read_bytes())
            assert isinstance(message, EmailMessage)
            if to is None or message["To"] == to:
                found.append(message)
        return found

    def last(self, to: str | None = None) -> EmailMessage:
        messages = self.messages(to)
        assert messages, f"no mail was sent{' to ' + to if to else ''}"
        return messages[-1]


LINK_PATTERN = re.compile(r"https?://\S+")


def body_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return part.get_content()


def link_in(message: EmailMessage) -> str:
    """The first link in a message, as a path the test client can open."""
    match = LINK_PATTERN.search(body_of(message))
    assert match, f"no link in {message['Subject']!r}"
    return "/" + match.group(0).split("/", 3)[3]


@pytest.fixture
def mailbox(app: Flask) -> Mailbox:
    return Mailbox(app)


class Clock:
    """A clock for the web processes' short-lived copies, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now
