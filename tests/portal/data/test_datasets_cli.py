"""`portal datasets add` and the demo datasets."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.accounts.models import Role
from portal.data.models import Dataset, DatasetVersion


def test_datasets_add_records_and_publishes(runner, make_user, session, tmp_path):
    make_user("rita", role=Role.RESEARCHER)
    table = tmp_path / "trial.tsv"
    table.write_text("id\tarm\tdied\n1\tA\t0\n2\tB\t1\n3\tA\t1\n")
    result = runner.invoke(
        args=[
            "datasets",
            "add",
            str(table),
            "--title",
            "Tab separated trial",
            "--description",
            "Three patients.",
            "--licence",
            "CC0-1.0",
            "--owner",
            "rita",
            "--condition",
            "Sepsis",
            "--publish",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Recorded tab-separated-trial version 1: 3 rows, valid" in result.output
    version = session.scalar(select(DatasetVersion))
    assert version.is_published and version.dialect["delimiter"] == "\t"


def test_datasets_add_explains_bad_input_and_writes_nothing(runner, make_user, session, tmp_path):
    make_user("rita", role=Role.RESEARCHER)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = runner.invoke(
        args=[
            "datasets",
            "add",
            str(empty),
            "--title",
            "T",
            "--description",
            "D",
            "--licence",
            "CC0-1.0",
            "--owner",
            "rita",
        ]
    )
    assert result.exit_code == 1 and "empty" in result.output.lower()
    bad_licence = tmp_path / "ok.csv"
    bad_licence.write_text("a,b\n1,2\n")
    result = runner.invoke(
        args=[
            "datasets",
            "add",
            str(bad_licence),
            "--title",
            "T",
            "--description",
            "D",
            "--licence",
            "WTFPL",
            "--owner",
            "rita",
        ]
    )
    assert result.exit_code == 1 and "licence" in result.output
    assert "Traceback" not in result.output
    assert session.scalar(select(func.count()).select_from(Dataset)) == 0


def test_demo_loads_the_real_trials_and_flags_what_is_really_there(runner, session):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "Demo datasets: 7 recorded." in first.output
    datasets = {d.title: d for d in session.scalars(select(Dataset))}
    assert all(d.is_published for d in datasets.values())
    udca = next(d for title, d in datasets.items() if "Ursodeoxycholic" in title)
    flagged, fixed = udca.versions
    kinds = {f["kind"] for f in flagged.screening["findings"] if f["severity"] == "block"}
    assert "full-date" in kinds, flagged.screening["findings"]
    assert not flagged.is_published and fixed.is_published
    assert not fixed.screening["blocking"]
    colon = next(d for title, d in datasets.items() if "colon" in title.lower())
    assert colon.latest_published().row_count == 1858
    assert runner.invoke(args=["demo", "load"]).output.count("Demo datasets: 0 recorded.") == 1
    assert session.scalar(select(func.count()).select_from(Dataset)) == 7
