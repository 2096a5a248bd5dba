"""Global recoding of tables of counts: what may be shown, against a brute-force reading
of the rules over every grouping."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.treatments import disclosure
from portal.treatments.disclosure import EFFECTIVENESS, SEVERITY, Cell

ANSWERS = ("worse", "none", "slight", "moderate", "major")
counts = st.fixed_dictionaries({answer: st.integers(0, 40) for answer in ANSWERS})


def rules_hold(cells: tuple[Cell, ...], k: int) -> bool:
    held = [cell.count for cell in cells if cell.count]
    return len(held) >= 2 and min(held) >= k


@given(counts, st.integers(2, 10))
def test_what_is_shown_always_keeps_the_rules_and_the_total(table, k):
    shown = disclosure.finest_publishable(table, EFFECTIVENESS, k)
    if shown is None:
        for grouping in EFFECTIVENESS:
            assert not rules_hold(disclosure._cells(table, grouping), k)
        return
    assert rules_hold(shown, k)
    assert sum(cell.count for cell in shown) == sum(table.values())
    # No finer grouping that passes was skipped.
    finer = EFFECTIVENESS[: [disclosure._cells(table, g) for g in EFFECTIVENESS].index(shown)]
    assert not any(rules_hold(disclosure._cells(table, grouping), k) for grouping in finer)


@given(counts, st.integers(2, 10))
def test_the_share_helped_is_the_same_at_every_grouping(table, k):
    total = sum(table.values())
    if not total:
        return
    expected = sum(table[a] for a in disclosure.HELPED) / total
    for grouping in EFFECTIVENESS:
        assert disclosure.share_helped(disclosure._cells(table, grouping)) == pytest.approx(
            expected
        )


def test_every_grouping_covers_every_answer_once():
    for hierarchy in (EFFECTIVENESS, SEVERITY):
        answers = [a for group in hierarchy[0] for a in group.members]
        for grouping in hierarchy:
            grouped = [a for group in grouping for a in group.members]
            assert sorted(grouped) == sorted(answers)


@pytest.mark.parametrize(
    ("table", "labels"),
    [
        ({"worse": 5, "major": 5}, ["Made it worse", "None", "Slight", "Moderate", "Major"]),
        ({"none": 5, "slight": 2, "major": 4}, ["Made it worse", "No change", "Helped"]),
        ({"worse": 2, "none": 3, "slight": 2, "major": 4}, ["Did not help", "Helped"]),
    ],
)
def test_the_finest_grouping_that_passes_is_chosen(table, labels):
    shown = disclosure.finest_publishable(table, EFFECTIVENESS, 5)
    assert shown is not None and [cell.label for cell in shown] == labels


@pytest.mark.parametrize(
    "table",
    [
        {"major": 12},  # everyone alike: shown, it would tell a known reporter's answer
        {"worse": 1, "major": 12},  # the one member who said "worse" is in no group of 5
        {"none": 4, "major": 4},
    ],
)
def test_tables_no_grouping_protects_are_not_shown(table):
    assert disclosure.finest_publishable(table, EFFECTIVENESS, 5) is None


def test_a_side_effect_is_named_only_when_both_sides_hold_k():
    assert disclosure.presence(10, 5, 5)
    assert not disclosure.presence(10, 4, 5)  # four members named it
    assert not disclosure.presence(9, 5, 5)  # four did not
    assert not disclosure.presence(10, 10, 5)  # everyone did


def test_answers_outside_the_hierarchy_are_refused():
    with pytest.raises(ValueError, match="outside the hierarchy"):
        disclosure.finest_publishable({"amazing": 9}, EFFECTIVENESS, 5)
