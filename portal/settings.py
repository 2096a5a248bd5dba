"""Every setting of the portal, in one table: name, type, default, variable, meaning.

Settings come from the defaults below, then ``<instance>/portal.cfg`` (a Python
file), then the environment, then what ``create_app(config)`` is given (tests).
Code reads ``app.config[NAME]`` and never repeats a default. The README's
configuration table is this table printed by ``python -m portal.settings``; a test
keeps the two equal.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

ENV_PREFIX = "PORTAL_"
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Setting:
    """One setting: ``name`` is its key in ``app.config``.

    ``default`` is a value, or a function of the instance folder; ``shown`` is how
    the README prints a default that is not a plain value.
    """

    name: str
    type: type
    default: Any
    doc: str
    shown: str | None = None
    env: str | None = None

    @property
    def variable(self) -> str:
        """The environment variable that sets it."""
        if self.env:
            return self.env
        return self.name if self.name.startswith(ENV_PREFIX) else ENV_PREFIX + self.name

    def default_for(self, instance_path: str) -> Any:
        return self.default(Path(instance_path)) if callable(self.default) else self.default

    def parse(self, raw: str) -> Any:
        """The value of the variable's text, or ValueError naming the variable."""
        text = raw.strip()
        if self.type is bool:
            if text.lower() in TRUE_WORDS:
                return True
            if text.lower() in FALSE_WORDS:
                return False
            raise ValueError(f"{self.variable} must be on or off (1/0, true/false), not {raw!r}.")
        if self.type is int:
            try:
                return int(text)
            except ValueError:
                raise ValueError(f"{self.variable} must be a whole number, not {raw!r}.") from None
        if self.type is float:
            try:
                return float(text)
            except ValueError:
                raise ValueError(f"{self.variable} must be a number, not {raw!r}.") from None
        return raw

    def default_text(self) -> str:
        if self.shown is not None:
            return self.shown
        value = self.default
        if isinstance(value, bool):
            return "on" if value else "off"
        if value == "":
            return "empty"
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return f"`{value}`"


def _sqlite_in(instance: Path) -> str:
    return f"sqlite:///{instance / 'portal.db'}"


def _data_in(instance: Path) -> str:
    return str(instance / "data")


def _mail_in(instance: Path) -> str:
    return f"file://{instance / 'mail'}"


SETTINGS: tuple[Setting, ...] = (
    # -- where things are ------------------------------------------------------------
    Setting(
        "PORTAL_ENV",
        str,
        "development",
        "`production` forces secure cookies and refuses demo content",
    ),
    Setting(
        "INSTANCE_PATH",
        str,
        None,
        "the instance folder: `portal.cfg`, the generated secret key, the SQLite file",
        shown="`./instance` in a checkout",
    ),
    Setting(
        "DATABASE_URL",
        str,
        _sqlite_in,
        "any SQLAlchemy URL, e.g. `postgresql+psycopg://user@host/db`",
        shown="`sqlite:///<instance>/portal.db`",
    ),
    Setting(
        "DATA_DIR", str, _data_in, "where uploaded files are stored", shown="`<instance>/data`"
    ),
    Setting(
        "SECRET_KEY",
        str,
        "",
        "signs sessions; give every web process the same one",
        shown="generated once into `<instance>/secret_key` (mode 0600)",
        env="SECRET_KEY",
    ),
    Setting(
        "MAX_CONTENT_LENGTH",
        int,
        512 * 1024 * 1024,
        "largest upload in bytes, enforced while streaming",
        shown="512 MiB",
    ),
    Setting(
        "UPLOAD_MAX_UNPACKED_BYTES",
        int,
        1024 * 1024 * 1024,
        "most a compressed upload (Parquet, Excel) may unpack to; refused before it is read",
        shown="1 GiB",
    ),
    Setting(
        "UPLOAD_MAX_CELLS",
        int,
        100_000_000,
        "most cells (rows × columns) in an uploaded table",
    ),
    Setting(
        "STORAGE_PER_USER_MB",
        int,
        2048,
        "most megabytes of files one member's dataset versions may hold (0: no limit)",
    ),
    Setting(
        "DEMO_PASSWORD", str, "", "password of the demo accounts", shown="`open-research-demo`"
    ),
    # -- database --------------------------------------------------------------------
    Setting("DB_POOL_SIZE", int, 5, "connections per process (PostgreSQL)"),
    Setting(
        "DB_MAX_OVERFLOW",
        int,
        5,
        "extra connections opened under load beyond the pool (PostgreSQL)",
    ),
    Setting(
        "DB_POOL_PRE_PING",
        bool,
        True,
        "test a pooled connection before use when it sat idle over a second",
    ),
    Setting("DB_POOL_RECYCLE", int, 1800, "replace a pooled connection after this many seconds"),
    # -- sessions and limits ---------------------------------------------------------
    Setting(
        "SESSION_COOKIE_SECURE",
        bool,
        False,
        "send cookies over HTTPS only",
        shown="off (on in production)",
    ),
    Setting(
        "RATELIMIT_STORAGE_URL",
        str,
        "memory://",
        "use `redis://...` when several web processes share limits",
    ),
    Setting(
        "LOGIN_RATE_LIMIT", str, "10 per minute", "per client address and, separately, per account"
    ),
    Setting("REGISTER_RATE_LIMIT", str, "20 per hour", "per client address"),
    Setting(
        "LOGIN_BACKOFF_AFTER",
        int,
        5,
        "failed logins in a row on one account before each next try must wait, 2, 4, 8... seconds",
    ),
    Setting("LOGIN_BACKOFF_MAX_SECONDS", int, 900, "the longest wait between tries on one account"),
    Setting("REMEMBER_DAYS", int, 14, "how long 'keep me logged in' lasts"),
    Setting(
        "PROXY_COUNT",
        int,
        0,
        "reverse proxies in front of the web processes whose X-Forwarded-For/-Proto/-Host "
        "headers are believed (0: none, the headers are ignored)",
    ),
    # -- mail and accounts -----------------------------------------------------------
    Setting(
        "MAIL_URL",
        str,
        _mail_in,
        "where mail goes: `smtp://user:pass@host:587?starttls=1`, `smtps://user:pass@host`, "
        "`file:///dir` (one .eml file per message) or `console:` (the log)",
        shown="`file://<instance>/mail`",
    ),
    Setting(
        "MAIL_FROM",
        str,
        "Open Research Portal <no-reply@localhost>",
        "the sender of the portal's mail",
    ),
    Setting(
        "BASE_URL",
        str,
        "",
        "the portal's public address for links in mail, e.g. `https://portal.example.org` "
        "(empty: the address of the request; required in production)",
    ),
    Setting("CONFIRM_LINK_DAYS", int, 3, "how long an e-mail confirmation link works"),
    Setting("RESET_LINK_MINUTES", int, 60, "how long a password reset link works"),
    Setting(
        "POST_RATE_LIMIT",
        str,
        "20 per minute; 200 per day",
        "questions and comments per account (pages and API together)",
    ),
    Setting("VOTE_RATE_LIMIT", str, "60 per minute", "supports and withdrawals per account"),
    Setting(
        "UPLOAD_RATE_LIMIT",
        str,
        "10 per hour; 50 per day",
        "dataset files uploaded per account (pages and API together)",
    ),
    Setting(
        "ANALYSIS_RATE_LIMIT",
        str,
        "20 per hour; 100 per day",
        "analyses started and rerun per account (pages and API together)",
    ),
    Setting(
        "PLAY_SUBMIT_RATE_LIMIT",
        str,
        "30 per minute",
        "puzzle solutions per player (account or guest)",
    ),
    Setting(
        "PLAY_SUBMIT_IP_RATE_LIMIT", str, "120 per minute", "puzzle solutions per client address"
    ),
    # -- communities -----------------------------------------------------------------
    Setting(
        "COMMUNITY_EDIT_WINDOW_MINUTES",
        int,
        15,
        "how long an author may still edit a question or comment",
    ),
    Setting(
        "COMMUNITY_TRUSTED_AFTER_DAYS", int, 3, "an account this old is no longer limited as new"
    ),
    Setting(
        "COMMUNITY_TRUSTED_AFTER_CONTRIBUTIONS",
        int,
        5,
        "nor one with this many visible questions and comments",
    ),
    Setting(
        "COMMUNITY_NEW_ACCOUNT_QUESTIONS_PER_DAY",
        int,
        2,
        "questions a new account may propose a day (at least 1)",
    ),
    Setting(
        "COMMUNITY_NEW_ACCOUNT_COMMENTS_PER_HOUR",
        int,
        10,
        "comments a new account may post an hour (at least 1)",
    ),
    Setting(
        "COMMUNITY_NEW_ACCOUNT_FLAGS_PER_DAY",
        int,
        10,
        "flags a new account may raise a day (at least 1)",
    ),
    Setting(
        "COMMUNITY_DIGEST_DAYS",
        int,
        7,
        "days between two e-mail digests of new support posts (for members who ask for it)",
    ),
    Setting(
        "TREATMENT_MIN_REPORTERS",
        int,
        5,
        "k: fewest members behind any published figure about treatments (never below 2)",
    ),
    Setting(
        "TRUST_AFTER_DAYS",
        int,
        7,
        "an account's treatment reports count in published figures once it is this old",
    ),
    # -- datasets --------------------------------------------------------------------
    Setting(
        "REID_MIN_K",
        int,
        5,
        "a participant-level version is published only if every combination of its "
        "quasi-identifiers is shared by at least this many rows (or a curator accepts the risk)",
    ),
    Setting(
        "REID_MAX_UNIQUE_SHARE",
        float,
        0.05,
        "and if at most this share of its rows is unique on them",
    ),
    # -- jobs ------------------------------------------------------------------------
    Setting(
        "BROKER_URL",
        str,
        "",
        "`redis://host:6379/0`: jobs go to Celery workers; empty: they run in the web process",
    ),
    Setting(
        "BROKER_VISIBILITY_TIMEOUT",
        int,
        3600,
        "seconds before Redis hands an unacknowledged job (its worker died) to another",
    ),
    Setting("JOB_WORKERS", int, 2, "job threads per web process (no broker)"),
    Setting(
        "JOBS_ACTIVE_PER_USER",
        int,
        3,
        "jobs (uploads being checked, analyses) one member may have waiting or running "
        "at once (0: no limit)",
    ),
    Setting("JOBS_INLINE", bool, False, "run each job inside the request that submits it (tests)"),
    Setting(
        "JOB_MAX_ATTEMPTS", int, 3, "tries per job (transient errors, dead workers) before it fails"
    ),
    Setting(
        "JOB_RETRY_BACKOFF", float, 5.0, "seconds before the first retry; doubles each attempt"
    ),
    Setting("JOB_HEARTBEAT_SECONDS", float, 15.0, "a running job's heartbeat period"),
    Setting(
        "JOB_STALE_AFTER", float, 120.0, "a running job silent for this many seconds is taken back"
    ),
    Setting(
        "JOB_RETENTION_DAYS", int, 30, "finished jobs nothing refers to are deleted after this"
    ),
    Setting("JOB_TASK_MODULES", str, "", "extra modules registering job kinds (comma-separated)"),
    Setting(
        "SCHEDULER",
        bool,
        True,
        "the in-process scheduler of the embedded default (off: run nothing periodic)",
    ),
    # -- processes -------------------------------------------------------------------
    Setting("WORKER_CONCURRENCY", int, 2, "jobs at once per `portal worker`"),
    Setting("WORKER_POOL", str, "prefork", "how a `portal worker` runs them"),
    Setting("WEB_WORKERS", int, 2, "`portal serve`'s gunicorn processes"),
    Setting("WEB_THREADS", int, 4, "threads in each"),
    Setting("WEB_BIND", str, "127.0.0.1:8000", "the address `portal serve` listens on"),
    Setting(
        "LOG_FORMAT", str, "text", "`json`: one JSON object a line, with `request_id` and `job_id`"
    ),
    Setting("LOG_LEVEL", str, "INFO", "the least severe messages logged"),
    # -- per-process copies ----------------------------------------------------------
    Setting(
        "PUZZLE_CACHE_SECONDS",
        float,
        1.0,
        "how old a puzzle's leaderboard, the overall leaderboard and the puzzle list "
        "may be in a web process (0: never kept)",
    ),
    Setting(
        "PAGE_CACHE_SECONDS",
        float,
        None,
        "how old a page may be for a visitor with no cookie and no token (0: never kept)",
        shown="`1` in production, `0` otherwise",
    ),
    Setting(
        "TOKEN_CACHE_SECONDS",
        float,
        1.0,
        "how long a web process may still accept an API token revoked in another "
        "(0: look every token up on every call)",
    ),
    Setting("PUZZLE_RETIRE_AFTER", int, 200, "a puzzle retires at this many distinct solutions"),
    Setting(
        "ALIGN_IMPORT_MIN_SEQUENCES", int, 3, "fewest sequences a researcher may import to align"
    ),
    Setting(
        "ALIGN_IMPORT_MAX_SEQUENCES", int, 200, "most sequences a researcher may import at once"
    ),
    Setting(
        "ALIGN_IMPORT_MAX_LENGTH",
        int,
        5000,
        "most letters (residues and gaps) in one imported sequence",
    ),
    Setting(
        "ALIGN_IMPORT_PUZZLES",
        int,
        6,
        "most puzzles cut from an imported alignment (half beginner, half intermediate)",
    ),
)

BY_NAME: dict[str, Setting] = {setting.name: setting for setting in SETTINGS}

#: Framework settings the portal fixes: they are security decisions, not deployment choices.
FIXED: dict[str, Any] = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
}


def instance_path(config: Mapping[str, Any] | None, environ: Mapping[str, str]) -> str | None:
    """The instance folder, which must be known before any other setting is read."""
    chosen = (config or {}).get("INSTANCE_PATH") or environ.get(BY_NAME["INSTANCE_PATH"].variable)
    return chosen or None


def defaults(instance: str) -> dict[str, Any]:
    values = {setting.name: setting.default_for(instance) for setting in SETTINGS}
    values["INSTANCE_PATH"] = instance
    return {**FIXED, **values}


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The settings given as environment variables; an empty variable counts as unset."""
    environ = os.environ if environ is None else environ
    found: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(setting.variable)
        if raw:
            found[setting.name] = setting.parse(raw)
    return found


def load_or_create_secret_key(instance: str) -> str:
    """Return the instance's secret key, generating it on first use.

    A generated key lives in the instance folder (mode 0600) so sessions survive a
    restart; there is deliberately no hard-coded fallback.
    """
    path = Path(instance) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # O_EXCL: when two processes start at once, only one key wins and both read it.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def finalise(config: dict[str, Any]) -> None:
    """Derive settings that depend on others, after every source has been read."""
    production = config["PORTAL_ENV"] == "production"
    if production:
        # Behind TLS in production: cookies must never travel in clear text.
        config["SESSION_COOKIE_SECURE"] = True
        if not config["BASE_URL"]:
            # A link built from the request's Host header could be sent to another site
            # by a client that forges the header (password-reset poisoning).
            raise ValueError(
                f"{BY_NAME['BASE_URL'].variable} must be set when PORTAL_ENV is production: "
                "the links in the portal's mail (confirmation, password reset) are built "
                "from it, never from a request's Host header, which a client can forge."
            )
    config["REMEMBER_COOKIE_SECURE"] = bool(config["SESSION_COOKIE_SECURE"])
    config["REMEMBER_COOKIE_DURATION"] = timedelta(days=config["REMEMBER_DAYS"])
    # Anonymous pages may be a second old in production (portal.page_cache); while
    # developing, a page must show the change just made.
    if config["PAGE_CACHE_SECONDS"] is None:
        config["PAGE_CACHE_SECONDS"] = 1.0 if production else 0.0
    # Flask-Limiter's own name for the storage.
    config["RATELIMIT_STORAGE_URI"] = config["RATELIMIT_STORAGE_URL"]
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = load_or_create_secret_key(config["INSTANCE_PATH"])


def markdown_table(settings: Iterable[Setting] = SETTINGS) -> str:
    """The README's table."""
    lines = ["| variable | default | meaning |", "| --- | --- | --- |"]
    lines += [f"| `{s.variable}` | {s.default_text()} | {s.doc} |" for s in settings]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None, write: Callable[[str], Any] = sys.stdout.write) -> int:
    write(markdown_table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
