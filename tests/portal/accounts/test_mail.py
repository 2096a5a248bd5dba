"""The mail path against a real SMTP server (aiosmtpd, started by the test), and the
file and console transports of the embedded default."""

from __future__ import annotations

import socket
import ssl
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select

from portal.accounts import mail
from portal.accounts.models import User
from tests.portal.conftest import AuthActions, body_of, csrf_token, link_in


@dataclass
class Inbox:
    """What the SMTP server received, and who authenticated."""

    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's name
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"s3cret"
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    with warnings.catch_warnings():
        # aiosmtpd warns that AUTH without TLS is unsafe: the test server is on loopback.
        warnings.simplefilter("ignore")
        controller = Controller(
            inbox,
            hostname="127.0.0.1",
            port=port,
            authenticator=inbox.authenticate,
            auth_require_tls=False,
        )
        controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def certificate_authority(monkeypatch, tmp_path) -> trustme.CA:
    """A test CA the portal's TLS client trusts (OpenSSL reads SSL_CERT_FILE), as a
    production server's would be trusted through the system's store."""
    authority = trustme.CA()
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    return authority


def tls_server(
    authority: trustme.CA, context_keyword: str, **options
) -> tuple[Inbox, int, Controller]:
    """An SMTP server with a certificate from ``authority``, handed to aiosmtpd as
    ``ssl_context`` (TLS from the first byte) or ``tls_context`` (STARTTLS)."""
    inbox = Inbox()
    port = free_port()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    with warnings.catch_warnings():
        # See smtp_server; with ssl_context the whole connection is TLS, which aiosmtpd's
        # AUTH check (written for STARTTLS) does not see.
        warnings.simplefilter("ignore")
        controller = Controller(
            inbox,
            hostname="127.0.0.1",
            port=port,
            authenticator=inbox.authenticate,
            **{context_keyword: context},
            **options,
        )
        controller.start()
    return inbox, port, controller


def test_starttls_upgrades_before_the_password_is_sent(make_app, certificate_authority):
    inbox, port, controller = tls_server(
        certificate_authority, "tls_context", require_starttls=True
    )
    try:
        app = make_app(MAIL_URL=f"smtp://portal:s3cret@127.0.0.1:{port}?starttls=1")
        with app.test_request_context():
            assert mail.send(mail.message("bob@example.org", "Over STARTTLS", "Hello"))
    finally:
        controller.stop()
    assert inbox.logins == ["portal"]
    assert [m["Subject"] for m in inbox.messages] == ["Over STARTTLS"]


def test_smtps_speaks_tls_from_the_first_byte_and_checks_the_certificate(
    make_app, certificate_authority, monkeypatch, caplog
):
    inbox, port, controller = tls_server(
        certificate_authority, "ssl_context", auth_require_tls=False
    )
    try:
        app = make_app(MAIL_URL=f"smtps://portal:s3cret@127.0.0.1:{port}")
        with app.test_request_context():
            assert mail.send(mail.message("bob@example.org", "Over TLS", "Hello"))
            # A server whose certificate no trusted authority signed is refused.
            monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent/ca.pem")
            assert not mail.send(mail.message("bob@example.org", "Not sent", "Hello"))
    finally:
        controller.stop()
    assert [m["Subject"] for m in inbox.messages] == ["Over TLS"]
    assert inbox.logins == ["portal"]
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text


def test_registration_mail_reaches_a_real_smtp_server(make_app, smtp_server, session):
    inbox, port = smtp_server
    app = make_app(
        MAIL_URL=f"smtp://portal%40example.org:s3cret@127.0.0.1:{port}",
        MAIL_FROM="Portal <portal@example.org>",
        BASE_URL="https://portal.example.org",
    )
    client = app.test_client()

    assert AuthActions(client).register("alice").status_code == 302
    assert inbox.logins == ["portal@example.org"]
    [received] = inbox.messages
    assert received["To"] == "alice@example.org"
    assert received["From"] == "Portal <portal@example.org>"
    assert received["Subject"] == "Confirm your e-mail address"
    assert "https://portal.example.org/confirm/" in body_of(received)
    assert client.get(link_in(received)).status_code == 302
    assert session.scalar(select(User.email_confirmed_at)) is not None


def test_outside_tests_mail_is_sent_without_making_the_request_wait(make_app, smtp_server):
    inbox, port = smtp_server
    app = make_app(JOBS_INLINE=False, MAIL_URL=f"smtp://127.0.0.1:{port}")
    with app.test_request_context():
        outcome = mail.send_later(mail.message("bob@example.org", "Later", "A body"))
    assert outcome is not None, "handed to the mail thread"
    assert outcome.result(timeout=60) is True
    assert [m["Subject"] for m in inbox.messages] == ["Later"]


def test_a_failed_send_is_logged_keeps_the_account_and_can_be_asked_again(
    make_app, smtp_server, session, caplog
):
    inbox, port = smtp_server
    # Nothing listens on this port: the first mail cannot be sent.
    app = make_app(MAIL_URL=f"smtp://127.0.0.1:{free_port()}")
    client = app.test_client()

    auth = AuthActions(client)
    assert auth.register("alice").status_code == 302
    assert session.scalar(select(User.username)) == "alice", "the account is kept"
    assert "mail not sent: Confirm your e-mail address" in caplog.text
    assert "alice@example.org" not in caplog.text, "the log names no address"

    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
    auth.login("alice")
    token = csrf_token(client, "/account")
    client.post("/account/confirm-again", data={"csrf_token": token})
    [received] = inbox.messages
    assert client.get(link_in(received)).status_code == 302
    assert session.scalar(select(User.email_confirmed_at)) is not None


def test_the_embedded_default_writes_eml_files_in_the_instance_folder(app, auth, mailbox):
    assert app.config["MAIL_URL"] == f"file://{app.instance_path}/mail"
    auth.register("alice")
    [written] = list(mailbox.folder.glob("*.eml"))
    assert "Confirm your e-mail address" in written.read_text()


def test_the_console_transport_logs_the_message(make_app, caplog):
    app = make_app(MAIL_URL="console:")
    with app.test_request_context(), caplog.at_level("INFO", logger="portal.accounts.mail"):
        assert mail.send(mail.message("bob@example.org", "Hello", "A body"))
    assert "Subject: Hello" in caplog.text and "A body" in caplog.text


def test_an_unknown_transport_is_logged_not_raised(make_app, caplog):
    app = make_app(MAIL_URL="pigeon://loft")
    with app.test_request_context():
        assert not mail.send(mail.message("bob@example.org", "Hello", "A body"))
    assert "unknown transport 'pigeon'" in caplog.text
