"""Sending the portal's mail through the transport ``MAIL_URL`` names.

- ``smtp://user:pass@host:587?starttls=1``: an SMTP server (STARTTLS when asked);
- ``smtps://user:pass@host:465``: SMTP over TLS;
- ``file:///path/dir``: each message written to the folder as an .eml file (the
  embedded default, so a development instance needs no mail server);
- ``console:``: each message written to the log.

Messages are sent after the unit of work has committed: a failed send is logged and
changes nothing already saved, and the member can ask for the mail again.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app

from portal.extensions import the_app
from portal.settings import TRUE_WORDS

log = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 20


class MailConfigError(ValueError):
    """MAIL_URL names no transport the portal knows."""


def message(to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text message from the portal's sender."""
    mail = EmailMessage()
    sender = current_app.config["MAIL_FROM"]
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = formatdate(localtime=False)
    domain = sender.rsplit("@", 1)[-1].rstrip(">").strip() or "localhost"
    mail["Message-ID"] = make_msgid(domain=domain)
    mail.set_content(body)
    return mail


def send(mail: EmailMessage) -> bool:
    """Deliver ``mail``; False (and a log entry) when the transport refused it."""
    url = current_app.config["MAIL_URL"]
    try:
        _deliver(url, mail)
    except (OSError, smtplib.SMTPException, MailConfigError):
        # The recipient's address is personal data: the log names the subject only.
        log.exception("mail not sent: %s", mail["Subject"])
        return False
    return True


#: Sends mail that nobody waits for. Two threads: a slow server delays mail, never pages.
_outbox = ThreadPoolExecutor(max_workers=2, thread_name_prefix="portal-mail")


def send_later(mail: EmailMessage) -> Future[bool] | None:
    """Send ``mail`` without making the request wait for the server.

    Whether a page sends a message must not show in how long it takes to answer (a
    reset asked for an address with an account would otherwise answer later than
    one without). With JOBS_INLINE (tests) the message is sent at once. Returns what
    will say whether it was sent, when it is sent later.
    """
    app = the_app()
    if app.config["JOBS_INLINE"]:
        send(mail)
        return None

    def deliver() -> bool:
        with app.app_context():
            return send(mail)

    return _outbox.submit(deliver)


def _deliver(url: str, mail: EmailMessage) -> None:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "console":
        log.info("mail (console transport):\n%s", mail.as_string())
    elif scheme == "file":
        folder = Path(unquote(parts.path))
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}"
        # Written aside, then renamed: whoever reads the folder never sees half a message.
        partial = folder / f".{name}.part"
        partial.write_bytes(mail.as_bytes())
        partial.replace(folder / f"{name}.eml")
    elif scheme in ("smtp", "smtps"):
        _send_smtp(parts.hostname or "localhost", parts, mail, tls=scheme == "smtps")
    else:
        raise MailConfigError(f"MAIL_URL: unknown transport {scheme!r}")


def _send_smtp(host: str, parts, mail: EmailMessage, *, tls: bool) -> None:
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if tls:
        smtp = smtplib.SMTP_SSL(
            host, parts.port or 465, timeout=SMTP_TIMEOUT_SECONDS, context=context
        )
    else:
        smtp = smtplib.SMTP(host, parts.port or 25, timeout=SMTP_TIMEOUT_SECONDS)
    with smtp:
        if not tls and options.get("starttls", "").lower() in TRUE_WORDS:
            smtp.starttls(context=context)
        if parts.username:
            smtp.login(unquote(parts.username), unquote(parts.password or ""))
        smtp.send_message(mail)
