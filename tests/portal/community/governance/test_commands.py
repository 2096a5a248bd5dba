"""`portal communities create|list|archive` for operators."""

from __future__ import annotations

from sqlalchemy import select

from portal.community import services
from portal.community.models import Community, CommunityStatus


def test_operators_create_list_and_archive_communities(runner, session, person):
    moe = person("moe")
    result = runner.invoke(
        args=[
            "communities",
            "create",
            "lupus",
            "--name",
            "Lupus",
            "--condition",
            "Systemic lupus erythematosus",
            "--code",
            "m32.9",
            "--moderator",
            "moe",
        ]
    )
    assert result.exit_code == 0, result.output
    lupus = session.scalar(select(Community).where(Community.slug == "lupus"))
    assert lupus.status == CommunityStatus.ACTIVE and lupus.condition_code == "M32.9"
    assert services.membership(session, lupus, moe).role == "moderator"

    listed = runner.invoke(args=["communities", "list"])
    assert listed.exit_code == 0
    assert "lupus\tactive\t1 members\tLupus [M32.9]" in listed.output

    archived = runner.invoke(args=["communities", "archive", "lupus", "--reason", "Quiet."])
    assert archived.exit_code == 0, archived.output
    session.expire_all()
    assert lupus.status == CommunityStatus.ARCHIVED
    only_active = runner.invoke(args=["communities", "list", "--status", "active"])
    assert "lupus" not in only_active.output


def test_bad_input_is_named_and_writes_nothing(runner, session, person):
    person("moe")
    for args, said in (
        (["--code", "lupus"], "code: 'LUPUS' is neither an ICD-10 nor an ICD-11 code"),
        (["--moderator", "nobody"], "moderator: No user called 'nobody'"),
    ):
        result = runner.invoke(
            args=["communities", "create", "lupus", "--name", "Lupus", "--condition", "Lupus"]
            + args
        )
        assert result.exit_code == 1 and said in result.output
    reserved = runner.invoke(
        args=["communities", "create", "proposals", "--name", "P", "--condition", "P"]
    )
    assert reserved.exit_code == 1 and "keeps" in reserved.output
    assert session.scalars(select(Community)).all() == []
    missing = runner.invoke(args=["communities", "archive", "nowhere"])
    assert missing.exit_code == 1 and "No community at 'nowhere'" in missing.output
