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
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app

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


def _deliver(url: str, mail: EmailMessage) -> None:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "console":
        log.info("mail (console transport):\n%s", mail.as_string())
    elif scheme == "file":
        folder = Path(unquote(parts.path))
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
        (folder / name).write_bytes(mail.as_bytes())
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
