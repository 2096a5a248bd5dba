"""An outsider plants spreadsheet formulas in names and titles, then downloads every
CSV the portal offers: no cell, header included, may start a formula."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest

from portal.play.models import Puzzle
from tests.portal.play.conftest import BEST, Player, splice_as_researcher
from tests.portal.reanalysis.conftest import BCG_CSV, Sharing
from tests.portal.reanalysis.test_reanalysis import run_through_pages

FORMULAS = [
    '=HYPERLINK("http://x","y")',
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1)",
    "\t=1+1",
    "+1+1",
    "\r=1+1",
    "\uff1d1+1",
    " =1+1",
]
TRIGGERS = tuple("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def assert_no_formula(text: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows, "empty download"
    for number, row in enumerate(rows, 1):
        for cell in row:
            stripped = cell.lstrip(" ")
            assert not stripped.startswith(TRIGGERS) or is_number(cell), (number, cell)
    return rows


def hostile_bcg() -> str:
    """The BCG trials with formulas as study names and as two extra column names."""
    source = list(csv.reader(io.StringIO(BCG_CSV)))
    out = io.StringIO()
    writer = csv.writer(out)  # "\r\n" line ends: a carriage return in a cell is quoted
    writer.writerow([*source[0], FORMULAS[0], FORMULAS[2]])
    for i, row in enumerate(source[1:]):
        row[0] = FORMULAS[i % len(FORMULAS)] + f" {i}"
        writer.writerow([*row, FORMULAS[(i + 1) % len(FORMULAS)], "-2.5"])
    return out.getvalue()


def test_dataset_csv_and_data_package_neutralise_every_cell_header_included(
    client, auth, make_user
):
    slug = Sharing(client, auth, make_user).share("Formulas everywhere", hostile_bcg())

    response = client.get(f"/datasets/{slug}/versions/1/download/csv")
    assert response.status_code == 200
    rows = assert_no_formula(response.get_data(as_text=True))
    response.close()
    assert rows[0][-2:] == ["'" + FORMULAS[0], "'" + FORMULAS[2]]
    assert rows[1][0] == "'" + FORMULAS[0] + " 0"
    assert [row[-1] for row in rows[1:]] == ["-2.5"] * 13  # numbers stay numbers

    response = client.get(f"/datasets/{slug}/versions/1/download/datapackage")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as package:
        descriptor = json.loads(package.read("datapackage.json"))
        resource = descriptor["resources"][0]
        inside = assert_no_formula(package.read(resource["path"]).decode("utf-8"))
    response.close()
    assert inside == rows
    # The schema names the columns as the CSV's header does, so the package stays valid.
    assert [f["name"] for f in resource["schema"]["fields"]] == rows[0]


def test_analysis_results_csv_neutralises_study_names(client, auth, make_user, member):
    slug = Sharing(client, auth, make_user).share("Formulas as study names", hostile_bcg())
    auth.login(member)
    run_id, job = run_through_pages(client, slug)
    assert job["state"] == "finished", job
    auth.logout()

    response = client.get(f"/analyses/{run_id}/results.csv")
    assert response.status_code == 200
    rows = assert_no_formula(response.get_data(as_text=True))
    studies = {row[1] for row in rows if row[0] == "study"}
    assert "'" + FORMULAS[0] + " 0" in studies and "'\t=1+1 3" in studies
    # Negative log risk ratios are numbers, not formulas: they keep their sign.
    assert any(row[2].startswith("-") and is_number(row[2]) for row in rows if row[0] == "study")


@pytest.fixture
def member(make_user) -> str:
    make_user("moss")
    return "moss"


def test_alignment_credits_csv_neutralises_titles_and_nicknames(
    app, client, auth, make_user, research, session
):
    puzzle = session.get(Puzzle, research["puzzle_id"])
    puzzle.title = FORMULAS[1]
    session.commit()
    bea = Player(app.test_client(), research["puzzle_id"])
    assert bea.submit(BEST, nickname="-Bea-").status_code == 201
    assert splice_as_researcher(client, auth, make_user, research["slug"]).status_code == 302

    response = client.get(f"/play/alignments/{research['slug']}/credits.csv")
    assert response.status_code == 200
    rows = assert_no_formula(response.get_data(as_text=True))
    line = dict(zip(rows[0], rows[1], strict=True))
    assert line["puzzle"] == "'" + FORMULAS[1] and line["player"] == "'-Bea-"
