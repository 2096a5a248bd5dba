"""A researcher's sequences made into a research alignment with puzzles:
the checks, the job, the page, the API, and the report downloads."""

from __future__ import annotations

import csv
import io
import json
import re
import threading
import time
from pathlib import Path

import pytest
from Bio import Align
from sqlalchemy import select

from portal import db
from portal.accounts.models import Role, User
from portal.jobs import runner
from portal.jobs.models import Job
from portal.play import importing
from portal.play.models import AlignmentSource, Puzzle
from tests.portal.api.conftest import bearer, token_for  # noqa: F401
from tests.portal.conftest import csrf_token
from tests.portal.play.conftest import BEST, GOOD, Player, splice_as_researcher

DATA = Path(__file__).resolve().parents[3] / "games" / "data"


def unaligned(name: str) -> str:
    """A real family with its gaps taken out: what a researcher brings."""
    return (DATA / name).read_text().replace("-", "")


def residues_of(text: str) -> dict[str, str]:
    aligned = Align.read(io.StringIO(text), "fasta")
    return {record.id: aligned[i].replace("-", "") for i, record in enumerate(aligned.sequences)}


CONFIG = {
    "ALIGN_IMPORT_MIN_SEQUENCES": 3,
    "ALIGN_IMPORT_MAX_SEQUENCES": 10,
    "ALIGN_IMPORT_MAX_LENGTH": 1000,
    "ALIGN_IMPORT_PUZZLES": 4,
}


# -- the checks -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "field", "words"),
    [
        (importing.ImportRequest(fasta=""), "fasta", "paste"),
        (importing.ImportRequest(fasta=">a\nAC\n>b\nAC\n"), "fasta", "at least 3"),
        (
            importing.ImportRequest(fasta=">a\nAC\n>b\nAC\n>a\nAG\n", filename="x.fa"),
            "fasta",
            "x.fa: line 5: the name 'a' is used twice",
        ),
        (
            importing.ImportRequest(fasta=">a\nAC\n>b\nAC\n>c\nAG\n", aligner="muscle"),
            "aligner",
            "",
        ),
        (
            importing.ImportRequest(fasta=">a\nACGT\n>b\nAC\n>c\nAG\n", aligner=importing.KEEP),
            "fasta",
            "no gaps",
        ),
        (
            importing.ImportRequest(fasta=">a\nAC-T\n>b\nAC\n>c\nAG\n", aligner=importing.KEEP),
            "fasta",
            "'b' is 2 letters long",
        ),
        (
            importing.ImportRequest(fasta=">a\nAC\n>b\nAC\n>c\nAG\n", guide_tree="((a,b),c);"),
            "guide_tree",
            "Only Clustal Omega",
        ),
        (
            importing.ImportRequest(fasta=">a\n" + "A" * 400_000),
            "fasta",
            "more than 13,170 characters",
        ),
        (
            importing.ImportRequest(fasta=">a\nAC\n>b\nAC\n>c\nAG\n", title="t" * 201),
            "title",
            "200",
        ),
    ],
)
def test_the_checks_name_the_field_and_the_problem(asked, field, words):
    with pytest.raises(importing.ServiceError) as caught:
        importing.check(asked, CONFIG)
    assert caught.value.field == field
    assert words in caught.value.message


def test_a_guide_tree_reaches_clustal_omega_when_installed():
    if "clustalo" not in dict(importing.aligner_choices()):
        pytest.skip("Clustal Omega is not installed")
    text = ">a\nMKVLAAGIV\n>b\nMKVLGIV\n>c\nMKALAAGLV\n"
    with pytest.raises(importing.ServiceError, match="no leaf for 'c'"):
        importing.check(
            importing.ImportRequest(fasta=text, aligner="clustalo", guide_tree="(a,b);"), CONFIG
        )
    built = importing.build(
        importing.ImportRequest(fasta=text, aligner="clustalo", guide_tree="((a,b),c);"),
        {**CONFIG, "ALIGN_IMPORT_PUZZLES": 1},
    )
    assert [row.replace("-", "") for row in built.rows] == ["MKVLAAGIV", "MKVLGIV", "MKALAAGLV"]


# -- the service and the job ------------------------------------------------------------


def test_an_aligned_file_is_kept_as_it_is_and_its_puzzles_cut(app, session):
    text = (DATA / "il6.nucl.fasta").read_text()
    asked = importing.ImportRequest(fasta=text, aligner=importing.KEEP, title="IL-6 as given")
    messages: list[str] = []
    built = importing.build(
        asked, {**CONFIG, "ALIGN_IMPORT_PUZZLES": 2}, lambda f, m: messages.append(m)
    )
    reference = Align.read(io.StringIO(text), "fasta")
    assert built.rows == [reference[i] for i in range(len(reference))]
    assert built.kind == "dna"
    assert messages[0].startswith("Reading your alignment") and "Cutting" in messages[-1]
    with app.app_context():
        alignment, puzzles = importing.store(session, asked, built, "ada")
        session.commit()
    assert alignment.slug == "il-6-as-given" and alignment.original_rows == built.rows
    assert alignment.source.startswith("Imported by ada, kept as uploaded")
    assert puzzles and all(p.alignment_id == alignment.id for p in puzzles)


def test_building_reports_each_step_and_ranks_windows_by_a_second_aligner():
    messages: list[tuple[float, str]] = []
    built = importing.build(
        importing.ImportRequest(fasta=unaligned("il6.nucl.fasta")),
        {**CONFIG, "ALIGN_IMPORT_PUZZLES": 2},
        lambda fraction, message: messages.append((fraction, message)),
    )
    assert [m for _, m in messages] == [
        "Aligning 7 sequences with FAMSA",
        "Finding the windows the alignment is least sure of",
        "Cutting beginner puzzles",
        "Cutting intermediate puzzles",
    ]
    assert [f for f, _ in messages] == sorted(f for f, _ in messages)
    others = [a for a, _ in importing.aligner_choices() if a not in ("famsa", importing.KEEP)]
    assert built.compared_with == others[:1]


def submit_import(app, user_id: int, asked: importing.ImportRequest) -> str:
    with app.test_request_context():
        session = app.extensions["portal.db"].factory()
        job = runner.submit(
            session,
            "alignment.import",
            {"request": asked.to_payload(), "user_id": user_id},
            owner_id=user_id,
        )
        session.commit()
        job_id = job.id
        session.close()
        runner.start(job_id)  # inline in tests
    return job_id


def test_the_job_aligns_cuts_puzzles_and_records_both(app, session, make_user):
    ada = make_user("ada", Role.RESEARCHER)
    text = unaligned("il6.nucl.fasta")
    job_id = submit_import(app, ada, importing.ImportRequest(fasta=text, title="IL-6 genes"))
    job = session.get(Job, job_id)
    assert job.state == "finished", job.error
    assert job.progress == 1.0 and job.message == "Saving the alignment and its puzzles"
    alignment = session.scalar(select(AlignmentSource).where(AlignmentSource.slug == "il-6-genes"))
    assert job.result["url"] == "/play/alignments/il-6-genes"
    assert job.result["puzzles"] == sorted(p.id for p in alignment.puzzles)
    assert alignment.puzzles, "the FAMSA alignment of IL-6 has windows players can improve"
    # Aligning moves residues, never changes them, and keeps the order given.
    given = residues_of_unaligned(text)
    assert alignment.names == list(given)
    assert [row.replace("-", "") for row in alignment.rows] == list(given.values())
    assert "aligned with FAMSA" in alignment.source


def residues_of_unaligned(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    name = ""
    for line in text.splitlines():
        if line.startswith(">"):
            name = line[1:].split()[0]
            out[name] = ""
        else:
            out[name] += line.strip().upper()
    return out


def test_a_job_whose_researcher_was_deleted_fails_in_plain_words(app, session, make_user):
    ada = make_user("ada", Role.RESEARCHER)
    beth = make_user("beth", Role.RESEARCHER)
    with app.test_request_context():
        db_session = app.extensions["portal.db"].factory()
        job = runner.submit(
            db_session,
            "alignment.import",
            {"request": importing.ImportRequest(fasta="x").to_payload(), "user_id": beth},
            owner_id=ada,
        )
        db_session.commit()
        job_id = job.id
        db_session.delete(db_session.get(User, beth))
        db_session.commit()
        db_session.close()
        runner.start(job_id)
    session.expire_all()
    job = session.get(Job, job_id)
    assert job.state == "failed" and "account was deleted" in job.error


# -- the page -----------------------------------------------------------------------------


def test_only_researchers_import(client, auth, make_user):
    assert client.get("/play/alignments/import").status_code == 302  # to the login
    make_user("sam")
    auth.login("sam")
    assert client.get("/play/alignments/import").status_code == 403
    assert "import-link" not in client.get("/play/alignments/").get_data(as_text=True)
    auth.logout()
    make_user("ada", Role.RESEARCHER)
    auth.login("ada")
    page = client.get("/play/alignments/import").get_data(as_text=True)
    assert "Import sequences for players to improve" in page
    assert 'value="famsa" selected' in page or "FAMSA" in page
    assert "import-link" in client.get("/play/alignments/").get_data(as_text=True)


def post_import(client, **fields):
    data = {
        "csrf_token": csrf_token(client, "/play/alignments/import"),
        "title": "",
        "description": "",
        "aligner": "famsa",
        "guide_tree": "",
        "fasta": "",
        **fields,
    }
    return client.post("/play/alignments/import", data=data, content_type="multipart/form-data")


@pytest.fixture
def researcher(client, auth, make_user):
    make_user("ada", Role.RESEARCHER)
    auth.login("ada")
    return client


def test_bad_fasta_is_explained_and_everything_typed_is_kept(researcher, session):
    bad = ">human\nMKVLAAG\n>mouse\nMKV9LAG\n>rat\nMKVLAG\n"
    response = post_import(
        researcher,
        fasta=bad,
        title="My kinases",
        description="From the lab's screen",
        guide_tree="",
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "sequence &#39;mouse&#39; (line 3): line 4 holds &#39;9&#39;" in page
    assert 'value="My kinases"' in page and "From the lab&#39;s screen" in page
    assert "MKV9LAG" in page  # the sequences stay in the box
    assert session.scalar(select(AlignmentSource)) is None
    assert session.scalar(select(Job)) is None


def test_a_bad_uploaded_file_comes_back_in_the_box(researcher):
    data = b">a\nACGT\n>b\nACGT\n>a\nACGA\n"
    response = post_import(researcher, file=(io.BytesIO(data), "genes.fa"), title="Genes")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "genes.fa: line 5: the name &#39;a&#39; is used twice" in page
    assert ">a\nACGT\n>b\nACGT\n>a\nACGA" in page.replace("&gt;", ">")
    assert "Nothing you typed is lost" in page

    binary = post_import(researcher, file=(io.BytesIO(b"\x89PNG\x00\x00"), "photo.fa"))
    assert binary.status_code == 400
    assert "photo.fa is not a text file" in binary.get_data(as_text=True)


def test_a_guide_tree_for_famsa_is_refused_next_to_the_tree(researcher):
    response = post_import(
        researcher, fasta=">a\nACGT\n>b\nACGT\n>c\nACGA\n", guide_tree="((a,b),c);"
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert re.search(r'id="guide_tree-error"[^>]*>Only Clustal Omega reads a guide tree', page)
    assert "((a,b),c);" in page


def test_importing_a_family_shows_its_puzzles_and_reports(app, researcher, session):
    text = unaligned("il6.nucl.fasta")
    response = post_import(
        researcher,
        file=(io.BytesIO(text.encode()), "il6.fa"),
        title="Interleukin-6 coding sequences",
        description="Seven mammals and a bird.",
    )
    assert response.status_code == 303
    job_page = researcher.get(response.headers["Location"])
    assert job_page.status_code == 200
    assert "Making puzzles from your sequences" in job_page.get_data(as_text=True)
    job = session.scalar(select(Job))
    assert job.state == "finished", job.error
    slug = job.result["alignment"]
    page = researcher.get(job.result["url"]).get_data(as_text=True)
    assert "Interleukin-6 coding sequences" in page and "Seven mammals and a bird." in page
    puzzle_ids = job.result["puzzles"]
    assert puzzle_ids
    for pid in puzzle_ids:
        assert f'href="/play/{pid}"' in page
    assert 'id="report-csv"' in page and 'id="report-json"' in page

    # A player improves a window; the researcher splices it in.
    puzzle = session.get(Puzzle, puzzle_ids[0])
    player = Player(app.test_client(), puzzle.id)
    assert player.submit(puzzle.par_layout, nickname="Bea").status_code == 201
    token = csrf_token(researcher, f"/play/alignments/{slug}")
    researcher.post(f"/play/alignments/{slug}/splice", data={"csrf_token": token})

    improved = researcher.get(f"/play/alignments/{slug}/download?format=fasta")
    assert residues_of(improved.get_data(as_text=True)) == residues_of_unaligned(text)

    report = researcher.get(f"/play/alignments/{slug}/report.json")
    assert "attachment" in report.headers["Content-Disposition"]
    body = json.loads(report.get_data(as_text=True))
    assert body["score_after"] > body["score_before"]
    first = next(w for w in body["windows"] if w["puzzle_id"] == puzzle.id)
    assert first["credited_players"] == ["Bea"] and first["status"] == "spliced in"
    assert first["columns"] == f"{puzzle.source_start + 1}-{puzzle.source_end}"
    assert first["best"] == pytest.approx(puzzle.par)
    assert body["credits"][0]["player"] == "Bea"

    lines = list(
        csv.DictReader(
            io.StringIO(
                researcher.get(f"/play/alignments/{slug}/report.csv").get_data(as_text=True)
            )
        )
    )
    assert [int(line["puzzle_id"]) for line in lines] == sorted(
        puzzle_ids, key=lambda i: (session.get(Puzzle, i).source_start, i)
    )
    row = next(line for line in lines if int(line["puzzle_id"]) == puzzle.id)
    assert row["credited_players"] == "Bea" and float(row["best"]) == pytest.approx(puzzle.par)
    assert float(row["score_before"]) == pytest.approx(puzzle.start_score)


def test_the_report_of_a_hand_made_alignment_names_the_spliced_player(
    app, client, auth, make_user, research
):
    assert Player(app.test_client(), research["puzzle_id"]).submit(GOOD, "Zed").status_code == 201
    assert Player(app.test_client(), research["puzzle_id"]).submit(BEST, "Bea").status_code == 201
    splice_as_researcher(client, auth, make_user, research["slug"])
    text = client.get(f"/play/alignments/{research['slug']}/report.csv").get_data(as_text=True)
    (line,) = list(csv.DictReader(io.StringIO(text)))
    assert line["columns"] == "4-8" and line["credited_players"] == "Bea"
    assert line["solutions"] == "2" and line["players"] == "2"


# -- the API -------------------------------------------------------------------------------


def test_the_api_imports_and_reports(client, session, make_user, token_for):  # noqa: F811
    ada = session.get(User, make_user("ada", Role.RESEARCHER))
    sam = session.get(User, make_user("sam"))
    body = {"fasta": unaligned("il6.nucl.fasta"), "title": "IL-6 by API"}

    refused = client.post("/api/v1/alignments", json=body, headers=bearer(token_for(sam)))
    assert refused.status_code == 403

    headers = bearer(token_for(ada))
    bad = client.post(
        "/api/v1/alignments",
        json={"fasta": ">a\nACGT\n>a\nACGT\n>b\nAC\n"},
        headers=headers,
    )
    assert bad.status_code == 400
    assert bad.json["error"]["field"] == "fasta" and "line 3" in bad.json["error"]["message"]

    created = client.post("/api/v1/alignments", json=body, headers=headers)
    assert created.status_code == 202
    job = client.get(created.json["links"]["job"], headers=headers).json
    assert job["state"] == "finished"
    slug = job["result"]["alignment"]
    report = client.get(f"/api/v1/alignments/{slug}").json
    assert report["title"] == "IL-6 by API" and report["sequences"] == 7
    assert sorted(w["puzzle_id"] for w in report["windows"]) == sorted(job["result"]["puzzles"])
    assert report["links"]["report_csv"].endswith(f"/play/alignments/{slug}/report.csv")
    assert client.get("/api/v1/alignments/nothing-here").status_code == 404


def test_the_api_document_describes_the_import(client):
    spec = client.get("/api/v1/openapi.json").json
    post = spec["paths"]["/api/v1/alignments"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    fields = spec["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]["properties"]
    assert {"fasta", "title", "description", "aligner", "guide_tree"} <= set(fields)
    assert "202" in post["responses"] and "403" in post["responses"]
    assert "/api/v1/alignments/{slug}" in spec["paths"]


def test_a_family_already_aligned_as_well_as_the_solver_can_says_why_and_what_next(
    researcher, session
):
    # Three copies of one protein: every window is already as good as it gets.
    from games.puzzles import read_source

    protein = read_source(DATA / "tp53.prot.fasta").rows[0].replace("-", "")
    text = "".join(f">copy{n}\n{protein}\n" for n in range(3))
    response = post_import(researcher, fasta=text, title="Three copies")
    assert response.status_code == 303
    job = session.scalar(select(Job))
    assert job.state == "finished", job.error
    assert job.result["puzzles"] == []
    page = researcher.get(job.result["url"]).get_data(as_text=True)
    notice = page[page.index('id="no-puzzles"') :]
    assert "could not find a better arrangement" in notice
    assert "more divergent sequences" in notice and "keep it as it is" in notice
    assert 'href="/play/alignments/import"' in notice


def test_two_imports_of_one_title_at_once_both_store(app, session, monkeypatch):
    # B reads the free slug while A's row is written but not committed, so B's pick
    # clashes with A's once A commits: B must pick again, not fail the job.
    text = (DATA / "il6.nucl.fasta").read_text()
    asked = importing.ImportRequest(fasta=text, aligner=importing.KEEP, title="Same title")
    built = importing.build(asked, {**CONFIG, "ALIGN_IMPORT_PUZZLES": 2}, lambda f, m: None)
    picked = threading.Event()
    pick = importing.unique_slug

    def pick_and_tell(db_session, title):
        slug = pick(db_session, title)
        if db_session is not session:
            picked.set()
        return slug

    monkeypatch.setattr(importing, "unique_slug", pick_and_tell)
    result: dict[str, object] = {}

    def second_import() -> None:
        with app.app_context(), db.new_session() as other:
            try:
                result["slug"] = importing.store(other, asked, built, "beth")[0].slug
                other.commit()
            except Exception as error:  # reported by the test below
                result["error"] = error

    with app.app_context():
        first, _ = importing.store(session, asked, built, "ada")
        thread = threading.Thread(target=second_import)
        thread.start()
        assert picked.wait(30)
        # B now waits on A's write (the row lock on PostgreSQL, the write lock on
        # SQLite) or is about to; A's commit lets it find the clash.
        time.sleep(0.2)
        session.commit()
        thread.join(60)
    assert "error" not in result, result
    assert (first.slug, result["slug"]) == ("same-title", "same-title-2")
    assert session.scalars(select(AlignmentSource.slug).order_by(AlignmentSource.slug)).all() == [
        "same-title",
        "same-title-2",
    ]
