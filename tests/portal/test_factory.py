"""Configuration sources and the secret key."""

from __future__ import annotations

import stat

import pytest
from sqlalchemy import text

from portal import create_app, db


def test_configuration_layers_defaults_instance_environment_then_mapping(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "portal.cfg").write_text("LOGIN_RATE_LIMIT = '7 per minute'\nDB_POOL_SIZE = 9\n")
    monkeypatch.setenv("PORTAL_DB_POOL_SIZE", "11")
    app = create_app({"INSTANCE_PATH": str(instance), "REGISTER_RATE_LIMIT": "2 per day"})
    assert app.config["DATABASE_URL"] == f"sqlite:///{instance / 'portal.db'}"
    assert app.config["LOGIN_RATE_LIMIT"] == "7 per minute"  # instance file
    assert app.config["DB_POOL_SIZE"] == 11  # environment beats the instance file
    assert app.config["REGISTER_RATE_LIMIT"] == "2 per day"  # explicit mapping beats all


def test_database_url_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_DATABASE_URL", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    app = create_app({"INSTANCE_PATH": str(tmp_path / "i")})
    assert app.config["DATABASE_URL"].endswith("elsewhere.db")


def test_secret_key_is_generated_once_and_kept_private(tmp_path):
    instance = tmp_path / "instance"
    first = create_app({"INSTANCE_PATH": str(instance)}).config["SECRET_KEY"]
    second = create_app({"INSTANCE_PATH": str(instance)}).config["SECRET_KEY"]
    assert first == second and len(first) == 64
    mode = stat.S_IMODE((instance / "secret_key").stat().st_mode)
    assert mode == 0o600
    other = create_app({"INSTANCE_PATH": str(tmp_path / "other")}).config["SECRET_KEY"]
    assert other != first


def test_secret_key_from_the_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    app = create_app({"INSTANCE_PATH": str(tmp_path / "i")})
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "i" / "secret_key").exists()


def test_production_mode_forces_secure_cookies(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("PORTAL_BASE_URL", "https://portal.example.org")
    app = create_app({"INSTANCE_PATH": str(tmp_path / "i")})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_production_mode_needs_the_public_address_for_links_in_mail(tmp_path, monkeypatch):
    """Without it, a reset link would be built from a Host header a client can forge."""
    monkeypatch.setenv("PORTAL_ENV", "production")
    with pytest.raises(ValueError, match="PORTAL_BASE_URL must be set"):
        create_app({"INSTANCE_PATH": str(tmp_path / "i")})


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path / "i")})
    with app.app_context():
        with db.engine().connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.engine().dispose()
