"""The settings table is the one place a setting is declared: the README prints it,
the environment can set every entry, and no code reads a setting it does not hold."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from portal.app import create_app
from portal.settings import BY_NAME, FIXED, SETTINGS, Setting, from_environment, markdown_table

ROOT = Path(__file__).resolve().parents[2]

#: A value other than the default for every text setting, valid for what reads it.
TEXT_SAMPLES = {
    "PORTAL_ENV": "production",
    "DEMO_PASSWORD": "another demo password",
    "SECRET_KEY": "a-secret-key-from-the-environment",
    "RATELIMIT_STORAGE_URL": "memory://",
    "LOGIN_RATE_LIMIT": "7 per minute",
    "REGISTER_RATE_LIMIT": "7 per hour",
    "POST_RATE_LIMIT": "7 per minute",
    "VOTE_RATE_LIMIT": "7 per minute",
    "UPLOAD_RATE_LIMIT": "7 per hour",
    "ANALYSIS_RATE_LIMIT": "7 per hour",
    "PLAY_SUBMIT_RATE_LIMIT": "7 per minute",
    "PLAY_SUBMIT_IP_RATE_LIMIT": "8 per minute",
    "BROKER_URL": "redis://127.0.0.1:1/0",
    "JOB_TASK_MODULES": "portal.data.tasks",
    "WORKER_POOL": "threads",
    "WEB_BIND": "127.0.0.1:8123",
    "LOG_FORMAT": "json",
    "LOG_LEVEL": "WARNING",
    "MAIL_URL": "console:",
    "MAIL_FROM": "Portal <portal@example.org>",
    "BASE_URL": "https://portal.example.org",
}
#: Settings that name places: the test points them into its own folder.
PLACES = ("INSTANCE_PATH", "DATABASE_URL", "DATA_DIR")


def _sample(setting: Setting, tmp_path: Path) -> tuple[str, object]:
    """The variable's text and the value the app must end up with."""
    if setting.name == "INSTANCE_PATH":
        return str(tmp_path / "elsewhere"), str(tmp_path / "elsewhere")
    if setting.name == "DATABASE_URL":
        url = f"sqlite:///{tmp_path / 'from-env.db'}"
        return url, url
    if setting.name == "DATA_DIR":
        return str(tmp_path / "files"), str(tmp_path / "files")
    if setting.type is bool:
        return ("off", False) if setting.default else ("on", True)
    if setting.type is int:
        return str(setting.default + 3), setting.default + 3
    if setting.type is float:
        value = (setting.default or 0.0) + 2.5
        return str(value), value
    return TEXT_SAMPLES[setting.name], TEXT_SAMPLES[setting.name]


def test_the_readme_holds_the_table_the_settings_print():
    readme = (ROOT / "README.md").read_text()
    assert markdown_table() in readme, "run `python -m portal.settings` and paste its table"


def test_every_text_setting_has_a_sample_here():
    text = {s.name for s in SETTINGS if s.type is str and s.name not in PLACES}
    assert text == set(TEXT_SAMPLES)


def test_every_setting_is_read_from_its_variable(monkeypatch, tmp_path):
    expected = {}
    for setting in SETTINGS:
        raw, value = _sample(setting, tmp_path)
        monkeypatch.setenv(setting.variable, raw)
        expected[setting.name] = value
    app = create_app({"TESTING": True})
    for name, value in expected.items():
        assert app.config[name] == value, name
    assert app.instance_path == str(tmp_path / "elsewhere")


@pytest.mark.parametrize(
    ("variable", "raw", "message"),
    [
        ("PORTAL_DB_POOL_SIZE", "ten", "PORTAL_DB_POOL_SIZE must be a whole number"),
        ("PORTAL_JOB_STALE_AFTER", "soon", "PORTAL_JOB_STALE_AFTER must be a number"),
        ("PORTAL_SCHEDULER", "maybe", "PORTAL_SCHEDULER must be on or off"),
    ],
)
def test_a_variable_that_cannot_be_read_is_named(variable, raw, message):
    with pytest.raises(ValueError, match=message):
        from_environment({variable: raw})


def test_an_empty_variable_counts_as_unset():
    assert from_environment({"PORTAL_DB_POOL_SIZE": "", "PORTAL_LOG_LEVEL": ""}) == {}


def test_no_code_reads_a_setting_the_table_does_not_hold():
    flask_own = {
        "TESTING",
        "RATELIMIT_STORAGE_URI",
        "REMEMBER_COOKIE_SECURE",
        "REMEMBER_COOKIE_DURATION",
        "SECRET_KEY_FALLBACKS",
    }
    known = set(BY_NAME) | set(FIXED) | flask_own
    pattern = re.compile(r"config\[\"([A-Z_]+)\"\]")
    for path in sorted((ROOT / "portal").rglob("*.py")):
        text = path.read_text()
        assert "config.get(" not in text, f"{path.name} repeats a default with config.get"
        unknown = set(pattern.findall(text)) - known
        assert not unknown, f"{path.relative_to(ROOT)} reads {sorted(unknown)}"
