"""Splicing by consensus: the near-best solutions of many players vote, their
consensus goes into the research alignment when it beats the best single
solution, every voter is credited with their share, and told."""

from __future__ import annotations

import csv
import io
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from games.consensus import Played
from games.puzzles import layout, scheme_for, scheme_to_params
from games.scoring import score_alignment
from portal.community.notifications.models import Notification
from portal.db import utcnow
from portal.play import splicing
from portal.play.models import (
    AlignmentChange,
    AlignmentCredit,
    AlignmentSource,
    Puzzle,
    Solution,
    WindowConsensus,
)
from tests.portal.play.conftest import Player

DNA = scheme_for("dna")
SEQ = "GTACCCAG"
ALIGNED = SEQ + "-"
# Three rows each slipped by a gap in its own place: each player fixes a
# different two of them (the same score, the same gaps, so all three are on
# the front), and their votes, two to one for every row, fix all three.
SLIPS = [SEQ[:p] + "-" + SEQ[p:] for p in (3, 4, 5)]
START = [ALIGNED, *SLIPS]
FIX = {
    "Ann": [ALIGNED, ALIGNED, ALIGNED, SLIPS[2]],
    "Bob": [ALIGNED, ALIGNED, SLIPS[1], ALIGNED],
    "Cyd": [ALIGNED, SLIPS[0], ALIGNED, ALIGNED],
}
ALL_FIXED = [ALIGNED] * 4
SPLICED = [SEQ] * 4  # splicing drops the column that only gaps fill


def make_window(session, slug: str = "slipped", start=START) -> tuple[AlignmentSource, Puzzle]:
    alignment = AlignmentSource(
        slug=slug,
        title="Four slipped rows",
        kind="dna",
        names=["w", "x", "y", "z"],
        rows=list(start),
        original_rows=list(start),
    )
    score = score_alignment(start, DNA)
    puzzle = Puzzle(
        alignment=alignment,
        title="Four slipped rows, columns 1-9",
        kind="dna",
        level="beginner",
        scheme=scheme_to_params(DNA),
        names=["w", "x", "y", "z"],
        sequences=[r.replace("-", "") for r in start],
        start=list(start),
        width=len(start[0]),
        start_score=score,
        par=score + 1,
        par_layout=list(start),
        source_start=0,
        source_end=len(start[0]),
        source_rows=list(range(len(start))),
    )
    session.add_all([alignment, puzzle])
    session.flush()
    return alignment, puzzle


def add_solution(session, puzzle, name, rows, user_id=None, key=None) -> Solution:
    solution = Solution(
        puzzle_id=puzzle.id,
        user_id=user_id,
        player_key=key or f"guest:{name}",
        nickname=name,
        layout_hash=f"{name}-{'/'.join(rows)}",
        rows=list(rows),
        score=score_alignment(rows, DNA),
        created_at=utcnow(),
    )
    session.add(solution)
    session.flush()
    return solution


def test_the_consensus_beats_every_single_solution_and_credits_every_voter(session):
    alignment, puzzle = make_window(session)
    for name, rows in FIX.items():
        add_solution(session, puzzle, name, rows)
    changes = splicing.splice_best(session, alignment)
    assert len(changes) == 1
    change = changes[0]
    assert change.method == "consensus" and change.kept == 3 and change.solution_id is None
    assert alignment.rows == SPLICED
    assert change.score_after == score_alignment(ALL_FIXED, DNA)
    assert change.score_after > max(score_alignment(r, DNA) for r in FIX.values())
    shares = {c.nickname: c.share for c in change.credits}
    assert set(shares) == set(FIX)
    # Of the consensus' 32 letters, each player placed all but those after the
    # slip they left: 3, 4 and 5 letters.
    expected = {"Ann": 29 / 84, "Bob": 28 / 84, "Cyd": 27 / 84}
    assert all(abs(shares[name] - expected[name]) < 1e-9 for name in FIX)
    window = session.get(WindowConsensus, puzzle.id)
    assert window.kept == 3 and window.rows == ALL_FIXED
    # Each letter sits where at least two players of three put it; the first
    # row, which nobody moved, all three.
    assert min(a for a in window.agreement if a is not None) >= 2 / 3 - 1e-9
    assert window.agreement[-1] is None  # the slack column holds no letter


def test_one_solution_per_player_votes_and_far_worse_ones_do_not(session):
    alignment, puzzle = make_window(session)
    for name, rows in FIX.items():
        add_solution(session, puzzle, name, rows)
    # Ann also sends Bob's layout, as good as her own: she still votes once.
    add_solution(session, puzzle, "Ann", FIX["Bob"], key="guest:Ann")
    # Dee only fixes one row: far below the best, outside the margin.
    add_solution(session, puzzle, "Dee", [ALIGNED, SLIPS[0], SLIPS[1], ALIGNED])
    [change] = splicing.splice_best(session, alignment)
    names = sorted(c.nickname for c in change.credits)
    assert names == ["Ann", "Bob", "Cyd"]
    assert change.kept == 3


def test_the_best_single_solution_goes_in_when_the_consensus_is_no_better(session):
    alignment, puzzle = make_window(session)
    add_solution(session, puzzle, "Ann", ALL_FIXED)
    add_solution(session, puzzle, "Bob", FIX["Bob"])  # far enough below: does not vote
    [change] = splicing.splice_best(session, alignment)
    assert change.method == "best" and change.kept == 1
    assert [(c.nickname, c.share) for c in change.credits] == [("Ann", 1.0)]
    assert change.solution_id == change.credits[0].solution_id
    assert alignment.rows == SPLICED


def test_credited_players_are_told_once(session, make_user):
    ids = {name: make_user(name.lower()) for name in FIX}
    alignment, puzzle = make_window(session)
    for name, rows in FIX.items():
        add_solution(session, puzzle, name, rows, user_id=ids[name], key=f"user:{ids[name]}")
    splicing.splice_best(session, alignment)
    splicing.splice_best(session, alignment)  # splicing again tells nobody twice
    session.commit()
    notices = session.scalars(select(Notification).order_by(Notification.user_id)).all()
    assert sorted(n.user_id for n in notices) == sorted(ids.values())
    assert all("one of 3 in the players' consensus" in n.message for n in notices)
    assert all(n.link == "/play/history" and "Four slipped rows" in n.message for n in notices)


def test_players_submitting_build_the_consensus_as_they_go(app, client, session):
    _, puzzle = make_window(session)
    session.commit()
    for name, rows in FIX.items():
        assert Player(app.test_client(), puzzle.id).submit(rows, nickname=name).status_code == 201
    session.expire_all()
    assert session.scalar(select(AlignmentSource.rows)) == SPLICED
    credits = client.get("/play/alignments/slipped/credits.csv").get_data(as_text=True)
    lines = list(csv.DictReader(io.StringIO(credits)))
    assert sorted(line["player"] for line in lines) == sorted(FIX)
    assert {line["method"] for line in lines} == {"consensus"}
    assert {line["solutions_in_consensus"] for line in lines} == {"3"}
    assert abs(sum(float(line["share_of_votes"]) for line in lines) - 1) < 1e-3


def test_guests_credited_are_told_on_their_next_visit_once(app, session):
    # A guest has no notifications, only the token in their cookie: the play page
    # tells them with the words an account's notice has.
    _, puzzle = make_window(session)
    session.commit()
    guests = {name: app.test_client() for name in FIX}
    for name, rows in FIX.items():
        assert Player(guests[name], puzzle.id).submit(rows, nickname=name).status_code == 201
    for guest in guests.values():
        page = guest.get("/play/").get_data(as_text=True)
        assert "Your solution of puzzle #" in page and "Four slipped rows" in page
        assert "one of 3 in the players&#39; consensus" in page
        assert "Your solution of puzzle #" not in guest.get("/play/").get_data(as_text=True)
    stranger = app.test_client()
    Player(stranger, puzzle.id).submit(START, nickname="Eve")
    assert "Your solution of puzzle #" not in stranger.get("/play/").get_data(as_text=True)


# -- properties -------------------------------------------------------------------


def _gaps(rows) -> int:
    return Played(list(rows), 0).gaps


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(seed=st.integers(0, 100_000), players=st.integers(1, 7))
def test_credited_solutions_are_on_the_kept_front_and_residues_stay(session, seed, players):
    rng = random.Random(seed)
    width = 9
    sequences = ["".join(rng.choice("ACGT") for _ in range(rng.randint(3, 7))) for _ in range(4)]
    start = [s.ljust(width, "-") for s in sequences]
    try:
        alignment, puzzle = make_window(session, f"random-{seed}", start)
        solutions = []
        for p in range(players):
            for _ in range(rng.randint(1, 3)):
                rows = [
                    layout(s, sorted(rng.sample(range(width), len(s))), width) for s in sequences
                ]
                solutions.append(add_solution(session, puzzle, f"p{p}", rows, key=f"guest:p{p}"))
        changes = splicing.splice_best(session, alignment)
        # Every sequence keeps its letters, in order.
        assert [r.replace("-", "") for r in alignment.rows] == sequences
        assert len({len(r) for r in alignment.rows}) == 1
        beating = [s for s in solutions if s.score > puzzle.start_score + 1e-9]
        for change in changes:
            assert abs(sum(c.share for c in change.credits) - 1) < 1e-9
            assert len({c.player_key for c in change.credits}) == len(change.credits)
            best = max(s.score for s in beating)
            margin = splicing.margin_for(best, min(s.score for s in beating))
            for credit in change.credits:
                mine = next(s for s in solutions if s.id == credit.solution_id)
                assert mine.score >= best - margin - 1e-9
                assert not any(
                    o.score >= mine.score - 1e-9
                    and _gaps(o.rows) <= _gaps(mine.rows)
                    and (o.score > mine.score + 1e-9 or _gaps(o.rows) < _gaps(mine.rows))
                    for o in beating
                    if o.score >= best - margin - 1e-9
                ), "a credited solution is dominated: it is not on the kept front"
        if not beating:
            assert changes == [] and alignment.rows == start
    finally:
        session.rollback()


def test_credits_go_with_their_changes(session):
    alignment, puzzle = make_window(session)
    for name, rows in FIX.items():
        add_solution(session, puzzle, name, rows)
    splicing.splice_best(session, alignment)
    splicing.splice_best(session, alignment)
    assert session.scalar(select(func.count()).select_from(AlignmentChange)) == 1
    assert session.scalar(select(func.count()).select_from(AlignmentCredit)) == 3


# -- pages ------------------------------------------------------------------------


def _spliced_by_users(session, make_user) -> dict[str, int]:
    ids = {name: make_user(name.lower()) for name in FIX}
    alignment, puzzle = make_window(session)
    for name, rows in FIX.items():
        add_solution(session, puzzle, name, rows, user_id=ids[name], key=f"user:{ids[name]}")
    splicing.splice_best(session, alignment)
    session.commit()
    return ids


def test_researchers_see_per_column_agreement_and_every_credit(client, session, make_user):
    _spliced_by_users(session, make_user)
    page = client.get("/play/alignments/slipped").get_data(as_text=True)
    assert "How strongly players agree" in page
    assert 'class="agreement-strip"' in page and 'role="img"' in page
    assert "3 players&#39; solutions near the best voted" in page
    levels = client.get("/play/alignments/slipped/report.json").get_json()["windows"][0][
        "consensus"
    ]["levels"]
    assert (
        f"Of the 8 columns holding letters, players agree strongly on {levels.count('strong')},"
        f" partly on {levels.count('partial')} and weakly on {levels.count('weak')}." in page
    )
    assert "Their consensus beat the best single solution and is in the alignment." in page
    assert "Agreement per column, in numbers" in page and "How is this computed?" in page
    assert page.count("one of 3 in the consensus") == 3
    assert 'id="credited-count">3<' in page and 'id="spliced-count">1<' in page

    report = client.get("/play/alignments/slipped/report.json").get_json()
    [window] = [w["consensus"] for w in report["windows"]]
    assert window["solutions_voting"] == 3 and window["spliced"] == "consensus"
    assert len(window["agreement"]) == 9 and window["agreement"][-1] is None
    assert window["levels"][-1] == "empty" and "partial" in window["levels"]
    assert sorted(c["player"] for c in report["credits"]) == sorted(FIX)
    assert report["score_after"] > report["score_before"]

    text = client.get("/play/alignments/slipped/agreement.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["board_column"] for r in rows] == [str(c) for c in range(1, 10)]
    assert rows[-1]["agreement"] == "" and rows[-1]["level"] == "empty"
    assert [float(r["agreement"]) for r in rows[:-1]] == [
        round(a, 4) for a in window["agreement"][:-1]
    ]


def test_players_see_what_their_solution_changed(client, auth, session, make_user):
    _spliced_by_users(session, make_user)
    auth.login("bob")
    history = client.get("/play/history").get_data(as_text=True)
    assert "Four slipped rows" in history and "columns 1-9" in history
    assert "your solution was one of 3 in the players&#39; consensus" in history
    assert "with 33% of its votes" in history  # 28 of the 84 votes
    profile = client.get("/u/bob").get_data(as_text=True)
    assert 'id="profile-contributions"' in profile
    assert "one of 3 solutions in the players' consensus" in profile
    notices = client.get("/notifications/").get_data(as_text=True)
    assert "now improves the research alignment" in notices


def test_an_alignment_nobody_improved_says_so_in_every_format(client, session):
    make_window(session)
    session.commit()
    page = client.get("/play/alignments/slipped").get_data(as_text=True)
    assert "No puzzle of this alignment has a solution that beats its start yet." in page
    [window] = client.get("/play/alignments/slipped/report.json").get_json()["windows"]
    assert window["consensus"] is None and window["status"] == "not improved yet"
    text = client.get("/play/alignments/slipped/agreement.csv").get_data(as_text=True)
    assert text.splitlines() == ["puzzle_id,columns,board_column,agreement,level"]
    assert client.get("/play/alignments/nope/report.json").status_code == 404
    assert client.get("/play/alignments/nope/agreement.csv").status_code == 404
