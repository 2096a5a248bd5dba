"""Puzzle cutting, moves and the par solver."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from games.checking import check_solution
from games.flanks import score_window
from games.puzzles import (
    LEVELS,
    cut_puzzles,
    layout,
    make_puzzle,
    move,
    pick_rows,
    positions,
    read_source,
    residues,
    solve,
    source_from_rows,
    strip_common_gaps,
)
from games.scheme import ScoringScheme
from games.scoring import score_alignment
from tests.games.support import DATA

DNA = ScoringScheme.puzzle_dna()
PROTEIN = ScoringScheme.create(
    matrix="BLOSUM62",
    open_gap_score=-10,
    extend_gap_score=-1,
    end_open_gap_score=0,
    end_extend_gap_score=0,
)


def naive_move(cols, k, delta, width, tail):
    """One column at a time, pushing neighbours as a physical row of blocks would."""
    cols = list(cols)
    step = 1 if delta > 0 else -1
    for _ in range(abs(delta)):
        group = set(range(k, len(cols))) if tail else {k}
        # Grow the group by every neighbour it would bump into.
        changed = True
        while changed:
            changed = False
            for i in list(group):
                j = i + step
                if 0 <= j < len(cols) and j not in group and cols[j] == cols[i] + step:
                    group.add(j)
                    changed = True
        for i in group:
            cols[i] += step
        if min(cols) < 0 or max(cols) >= width:
            return None
    return cols


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_move_matches_pushing_blocks_one_column_at_a_time(data):
    width = data.draw(st.integers(1, 12))
    n = data.draw(st.integers(1, width))
    cols = sorted(
        data.draw(st.lists(st.integers(0, width - 1), min_size=n, max_size=n, unique=True))
    )
    k = data.draw(st.integers(0, n - 1))
    delta = data.draw(st.integers(-4, 4).filter(bool))
    tail = data.draw(st.booleans())
    assert move(cols, k, delta, width, tail=tail) == naive_move(cols, k, delta, width, tail)


def test_move_examples():
    assert move([0, 1, 3], 0, 1, 5) == [1, 2, 3]
    assert move([0, 1, 3], 0, 2, 5) == [2, 3, 4]
    assert move([0, 1, 3], 0, 3, 5) is None  # would push the last residue off the board
    assert move([0, 2, 3], 2, -1, 5) == [0, 1, 2]
    assert move([0, 2, 3], 1, 1, 5, tail=True) == [0, 3, 4]
    assert move([1, 2, 4], 1, -1, 5, tail=True) == [0, 1, 3]


def test_layout_and_positions_round_trip():
    assert layout("ACG", [0, 2, 5], 6) == "A-C--G"
    assert positions("A-C--G") == [0, 2, 5]


def brute_force_best(rows, scheme):
    width = len(rows[0])
    options = []
    for row in rows:
        seq = residues(row)
        options.append(
            [layout(seq, cols, width) for cols in itertools.combinations(range(width), len(seq))]
        )
    return max(score_alignment(list(choice), scheme) for choice in itertools.product(*options))


@pytest.mark.parametrize(
    "rows",
    [
        ["ACGT--", "-ACGT-", "AC-GT-"],
        ["GATTACA-", "GA-TACA-", "-GATACA-"],
        ["TTAGC-", "T-AGC-", "--TAGC"],
    ],
)
def test_solver_finds_the_optimum_of_small_boards(rows):
    solved = solve(rows, DNA, time_limit=2.0, max_evaluations=20_000)
    assert solved.score == pytest.approx(brute_force_best(rows, DNA))
    assert solved.score == score_alignment(solved.rows, DNA)
    check_solution([residues(r) for r in rows], solved.rows, max_width=len(rows[0]))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text("ACGT", min_size=1, max_size=6), min_size=2, max_size=4), st.integers(0, 3))
def test_solver_never_loses_residues_nor_score(sequences, slack):
    width = max(len(s) for s in sequences) + slack
    rows = [s.ljust(width, "-") for s in sequences]
    solved = solve(rows, DNA, time_limit=0.2, max_evaluations=2_000)
    assert [residues(r) for r in solved.rows] == sequences
    assert {len(r) for r in solved.rows} == {width}
    assert solved.score >= score_alignment(rows, DNA)
    assert solved.score == score_alignment(solved.rows, DNA)


def test_pick_rows_keeps_informative_distinct_rows():
    window = ["ACGT", "ACGT", "ACGA", "----", "TTTT", "ACGT"]
    assert pick_rows(window, 8) == [0, 1, 2, 4, 5]
    chosen = pick_rows(window, 2)
    assert len(chosen) == 2 and 4 in chosen  # the most different row is picked


@pytest.mark.parametrize(
    ("name", "scheme"),
    [("il6.nucl.fasta", DNA), ("il6.prot.fasta", PROTEIN), ("tp53.prot.fasta", PROTEIN)],
)
def test_cut_puzzles_from_real_alignments(name, scheme):
    source = read_source(DATA / name)
    puzzles = cut_puzzles(source, scheme, limit=4, time_limit=0.2)
    if name != "il6.prot.fasta":  # the solver finds nothing to improve in that one
        assert puzzles
    low, high, max_rows = LEVELS["beginner"]
    spans = []
    for puzzle in puzzles:
        assert low <= puzzle.source_end - puzzle.source_start <= high
        assert 2 <= len(puzzle.sequences) <= max_rows
        assert puzzle.par > puzzle.start_score
        assert puzzle.par == score_window(puzzle.par_layout, scheme, puzzle.flanks)
        assert puzzle.start_score == score_window(puzzle.start, scheme, puzzle.flanks)
        check_solution(puzzle.sequences, puzzle.start, max_width=puzzle.width)
        check_solution(puzzle.sequences, puzzle.par_layout, max_width=puzzle.width)
        for row, sequence in zip(puzzle.source_rows, puzzle.sequences, strict=True):
            window = source.rows[row][puzzle.source_start : puzzle.source_end]
            assert residues(window) == sequence
        spans.append((puzzle.source_start, puzzle.source_end))
    for (_a, b), (c, _d) in itertools.pairwise(sorted(spans)):
        assert b <= c, "windows do not overlap"


def test_make_puzzle_needs_two_rows_with_residues():
    source = source_from_rows(["a", "b"], ["ACGTACGT", "A-------"])
    assert make_puzzle(source, 0, 8, DNA) is None


@pytest.mark.parametrize("level", ["intermediate", "expert"])
def test_higher_levels_are_larger(level):
    source = read_source(DATA / "il6.nucl.fasta")
    puzzles = cut_puzzles(source, DNA, level=level, limit=1, time_limit=0.2)
    low, high, _ = LEVELS[level]
    assert puzzles and low <= puzzles[0].source_end - puzzles[0].source_start <= high


def test_each_level_asks_for_more_than_the_one_before():
    sizes = [LEVELS[name] for name in ("beginner", "intermediate", "expert")]
    for (low_a, high_a, rows_a), (low_b, high_b, rows_b) in itertools.pairwise(sizes):
        assert low_a < low_b and high_a < high_b and rows_a < rows_b


def test_every_puzzle_par_improves_the_whole_alignment():
    from games.splice import splice

    source = read_source(DATA / "il6.nucl.fasta")
    whole = score_alignment(source.rows, DNA)
    puzzles = cut_puzzles(source, DNA, limit=3, time_limit=0.2)
    assert puzzles
    for puzzle in puzzles:
        spliced = splice(
            source.rows,
            puzzle.source_start,
            puzzle.source_end,
            puzzle.source_rows,
            puzzle.par_layout,
        )
        assert score_alignment(spliced, DNA) > whole
        assert puzzle.meta["full_gain"] == score_alignment(spliced, DNA) - whole


def test_windows_to_avoid_are_never_cut_again():
    source = read_source(DATA / "il6.nucl.fasta")
    first = cut_puzzles(source, DNA, limit=2, time_limit=0.2)
    taken = [(p.source_start, p.source_end) for p in first]
    later = cut_puzzles(source, DNA, limit=2, time_limit=0.2, avoid=taken)
    assert later, "il6 has more windows worth a puzzle"
    for puzzle in later:
        assert all(puzzle.source_end <= a or puzzle.source_start >= b for a, b in taken)


@st.composite
def equal_rows(draw):
    width = draw(st.integers(1, 12))
    count = draw(st.integers(1, 5))
    return [draw(st.text("AC-", min_size=width, max_size=width)) for _ in range(count)]


@settings(max_examples=300, deadline=None)
@given(equal_rows())
def test_strip_common_gaps_drops_exactly_the_all_gap_columns(rows):
    keep = [c for c in range(len(rows[0])) if any(row[c] != "-" for row in rows)]
    assert strip_common_gaps(rows) == ["".join(row[c] for c in keep) for row in rows]
