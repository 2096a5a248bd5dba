"""Configuration: defaults, then the instance folder, then the environment.

Each later source overrides the earlier one, so a deployment changes behaviour by
setting environment variables alone (see README, "Configuration").
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

ENV_PREFIX = "PORTAL_"

#: Settings read from ``PORTAL_<NAME>`` environment variables, with their type.
ENV_SETTINGS: dict[str, type] = {
    "ENV": str,
    "DATABASE_URL": str,
    "DATA_DIR": str,
    "BROKER_URL": str,
    "RATELIMIT_STORAGE_URL": str,
    "LOGIN_RATE_LIMIT": str,
    "REGISTER_RATE_LIMIT": str,
    "SESSION_COOKIE_SECURE": bool,
    "DB_POOL_SIZE": int,
    "MAX_CONTENT_LENGTH": int,
    "DEMO_PASSWORD": str,
    # Scaling out (README, "Running on several machines").
    "DB_MAX_OVERFLOW": int,
    "DB_POOL_PRE_PING": bool,
    "DB_POOL_RECYCLE": int,
    "BROKER_VISIBILITY_TIMEOUT": int,
    "JOB_WORKERS": int,
    "JOB_MAX_ATTEMPTS": int,
    "JOB_RETRY_BACKOFF": float,
    "JOB_HEARTBEAT_SECONDS": float,
    "JOB_STALE_AFTER": float,
    "JOB_RETENTION_DAYS": int,
    "JOB_TASK_MODULES": str,
    "SCHEDULER": bool,
    "WORKER_CONCURRENCY": int,
    "WORKER_POOL": str,
    "WEB_BIND": str,
    "WEB_WORKERS": int,
    "WEB_THREADS": int,
    "LOG_FORMAT": str,
    "LOG_LEVEL": str,
    "POST_RATE_LIMIT": str,
    "VOTE_RATE_LIMIT": str,
    "TREATMENT_MIN_REPORTERS": int,
    "PUZZLE_CACHE_SECONDS": float,
    "PAGE_CACHE_SECONDS": float,
    "TOKEN_CACHE_SECONDS": float,
    "PUZZLE_RETIRE_AFTER": int,
}


def defaults(instance_path: str) -> dict[str, Any]:
    instance = Path(instance_path)
    return {
        "PORTAL_ENV": "development",
        "DATABASE_URL": f"sqlite:///{instance / 'portal.db'}",
        "DATA_DIR": str(instance / "data"),
        "BROKER_URL": "",
        "DB_POOL_SIZE": 5,
        # The limiter keeps its counters in this process unless told otherwise;
        # several web processes must share a Redis so a limit holds across them.
        "RATELIMIT_STORAGE_URL": "memory://",
        "LOGIN_RATE_LIMIT": "10 per minute",
        "REGISTER_RATE_LIMIT": "20 per hour",
        # Per account, pages and API together (a user can open many tabs).
        "POST_RATE_LIMIT": "20 per minute; 200 per day",
        "VOTE_RATE_LIMIT": "60 per minute",
        # Fewest distinct members behind any treatment aggregate (k-anonymity).
        "TREATMENT_MIN_REPORTERS": 5,
        # How stale a puzzle's fetched leaderboard may be in another web process
        # (portal.play.payload_cache); 0 turns the copy off.
        "PUZZLE_CACHE_SECONDS": 1.0,
        # A puzzle with this many distinct solutions retires whatever they scored.
        "PUZZLE_RETIRE_AFTER": 200,
        # How long another web process may still accept a token revoked elsewhere
        # (portal.api.auth); 0 looks every token up on every call.
        "TOKEN_CACHE_SECONDS": 1.0,
        "MAX_CONTENT_LENGTH": 512 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": False,
        "WTF_CSRF_TIME_LIMIT": 3600 * 8,
        "DEMO_PASSWORD": "",
        # Jobs run on this many threads of the web process; tests run them inline.
        "JOB_WORKERS": 2,
        "JOBS_INLINE": False,
        # Connections beyond the pool, opened under load and closed after use.
        "DB_MAX_OVERFLOW": 5,
        "DB_POOL_PRE_PING": True,
        "DB_POOL_RECYCLE": 1800,
        # A job is tried this many times (transient errors, dead workers) before it fails.
        "JOB_MAX_ATTEMPTS": 3,
        # Seconds before the first retry of a transient failure; doubles each attempt.
        "JOB_RETRY_BACKOFF": 5.0,
        # A running job's heartbeat is bumped this often; one older than JOB_STALE_AFTER
        # means its runner died and the recovery sweep takes the job back.
        "JOB_HEARTBEAT_SECONDS": 15.0,
        "JOB_STALE_AFTER": 120.0,
        "JOB_RETENTION_DAYS": 30,
        # Extra modules registering job kinds (comma-separated), imported by every process.
        "JOB_TASK_MODULES": "",
        # Redis redelivers an unacknowledged job (its worker died) after this many seconds.
        "BROKER_VISIBILITY_TIMEOUT": 3600,
        # The in-process scheduler of the embedded default (Celery beat replaces it).
        "SCHEDULER": True,
        "WORKER_CONCURRENCY": 2,
        "WORKER_POOL": "prefork",
        "WEB_BIND": "127.0.0.1:8000",
        "WEB_WORKERS": 2,
        "WEB_THREADS": 4,
        "LOG_FORMAT": "text",
        "LOG_LEVEL": "INFO",
    }


def _parse(raw: str, kind: type) -> Any:
    if kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return kind(raw)


def from_environment(environ: dict[str, str] | None = None) -> dict[str, Any]:
    environ = dict(os.environ if environ is None else environ)
    found: dict[str, Any] = {}
    for name, kind in ENV_SETTINGS.items():
        raw = environ.get(ENV_PREFIX + name)
        if raw is not None and raw != "":
            key = "PORTAL_ENV" if name == "ENV" else name
            found[key] = _parse(raw, kind)
    if environ.get("SECRET_KEY"):
        found["SECRET_KEY"] = environ["SECRET_KEY"]
    return found


def load_or_create_secret_key(instance_path: str) -> str:
    """Return the instance's secret key, generating it on first use.

    A generated key lives in the instance folder (mode 0600) so sessions survive a
    restart; there is deliberately no hard-coded fallback.
    """
    path = Path(instance_path) / "secret_key"
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
    production = config.get("PORTAL_ENV") == "production"
    if production:
        # Behind TLS in production: cookies must never travel in clear text.
        config.setdefault("SESSION_COOKIE_SECURE", True)
        config["SESSION_COOKIE_SECURE"] = True
        config["REMEMBER_COOKIE_SECURE"] = True
    else:
        config["REMEMBER_COOKIE_SECURE"] = bool(config.get("SESSION_COOKIE_SECURE"))
    # Anonymous pages may be a second old in production (portal.page_cache); while
    # developing, a page must show the change just made.
    if config.get("PAGE_CACHE_SECONDS") is None:
        config["PAGE_CACHE_SECONDS"] = 1.0 if production else 0.0
    config["RATELIMIT_STORAGE_URI"] = config["RATELIMIT_STORAGE_URL"]
