"""The fast paths of ingest give what the slow, obvious ways give.

Each property draws values near the edges the fast path must get right
(impossible days, hour 24, a 60th second, year 0, stray spaces) and compares
with the reference computed the slow way on the same values.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from datasets.fieldtypes import (
    DATE_FORMATS,
    DATETIME_FORMATS,
    _strptime_fields,
    missing_mask,
    strptime_checked,
    strptime_round_trip,
)
from datasets.inference import MISSING_CANDIDATES, _candidates, _ColumnInference
from datasets.lexicon import _name_cells, name_cells
from datasets.plaintext import byte_lengths
from datasets.screening import _CONTENT_RULES, may_hold
from datasets.screening.rules import ANY_CONTENT_RULE
from datasets.stats import DistinctHashes, ValueCounter

_num = st.integers(min_value=0, max_value=99).map(lambda n: f"{n:02d}")
_year = st.integers(min_value=0, max_value=9999).map(lambda n: f"{n:04d}")


@st.composite
def _iso_like(draw: st.DrawFn) -> str:
    date = f"{draw(_year)}-{draw(_num)}-{draw(_num)}"
    tail = draw(
        st.sampled_from(["", "T{}:{}:{}", " {}:{}:{}", " {}:{}", "T{}:{}", " ", "x", "T{}:{}:{}Z"])
    )
    return date + tail.format(draw(_num), draw(_num), draw(_num))


def _valid_day() -> st.SearchStrategy[str]:
    return st.dates().map(lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}")


def _valid_instant(fmt: str) -> st.SearchStrategy[str]:
    """Real instants written in ``fmt`` (years zero-padded as the layouts require)."""

    def write(t: dt.datetime) -> str:
        return (
            fmt.replace("%Y", f"{t.year:04d}")
            .replace("%m", f"{t.month:02d}")
            .replace("%d", f"{t.day:02d}")
            .replace("%H", f"{t.hour:02d}")
            .replace("%M", f"{t.minute:02d}")
            .replace("%S", f"{t.second:02d}")
        )

    return st.datetimes().map(write)


_cells = st.one_of(_iso_like(), _valid_day(), st.text(max_size=12), st.just(""))


def _reference(arr: pa.Array, fmt: str) -> tuple[np.ndarray, list[int | None]]:
    """Every cell checked on its own by the field comparison or the round trip."""
    fields = fmt in ("%Y-%m-%d",) + DATETIME_FORMATS
    ok, parsed = (_strptime_fields if fields else strptime_round_trip)(arr, fmt)
    values = pa.compute.cast(parsed, pa.int64()).to_pylist()
    return ok, [v if good else None for v, good in zip(values, ok, strict=True)]


@st.composite
def _column(draw: st.DrawFn) -> tuple[list[str], str]:
    fmt = draw(st.sampled_from(DATE_FORMATS[:3] + DATETIME_FORMATS))
    valid = st.lists(_valid_instant(fmt), min_size=1, max_size=40)
    mixed = st.lists(st.one_of(_cells, _valid_instant(fmt)), min_size=1, max_size=40)
    return draw(valid | mixed), fmt


@settings(max_examples=400, deadline=None)
@given(_column(), st.integers(min_value=1, max_value=60))
def test_strptime_checked_matches_the_cell_by_cell_check(
    column: tuple[list[str], str], repeat: int
) -> None:
    cells, fmt = column
    # Repeating the cells past 1,000 takes the de-duplicated path too.
    arr = pa.array(cells * repeat, pa.string())
    ok, parsed = strptime_checked(arr, fmt)
    want_ok, want = _reference(arr, fmt)
    assert ok.tolist() == want_ok.tolist()
    got = pa.compute.cast(parsed, pa.int64()).to_pylist()
    assert [v if good else None for v, good in zip(got, ok, strict=True)] == want


def test_the_strict_cast_reads_year_zero_and_refuses_impossible_days() -> None:
    for fmt, cells in [
        ("%Y-%m-%d", ["0000-01-01", "2020-02-29", "9999-12-31"]),
        ("%Y-%m-%d", ["2021-02-29", "2020-04-31", "2020-00-10"]),
        ("%Y-%m-%dT%H:%M:%S", ["2020-01-01T24:00:00", "2020-01-01T23:59:60"]),
        ("%Y-%m-%d %H:%M", ["2020-01-01 23:59", "2020-01-01 12:60"]),
    ]:
        arr = pa.array(cells, pa.string())
        ok, parsed = strptime_checked(arr, fmt)
        want_ok, want = _reference(arr, fmt)
        assert ok.tolist() == want_ok.tolist()
        got = pa.compute.cast(parsed, pa.int64()).to_pylist()
        assert [v if good else None for v, good in zip(got, ok, strict=True)] == want


def _name_cells_reference(values: pa.Array, max_words: int = 3) -> np.ndarray:
    """Every cell of at most 20 characters a word split into words and looked up."""
    result = np.zeros(len(values), dtype=bool)
    lengths = pa.compute.utf8_length(values).to_pylist()
    short = np.array([i for i, n in enumerate(lengths) if n <= 20 * max_words], dtype=np.int64)
    if short.size:
        result[short] = _name_cells(values.take(pa.array(short)), max_words)
    return result


_name_words = st.sampled_from(["John", "smith", "MARY", "Jones", "tear", "Weiss", "x", "é", ""])
_separators = st.sampled_from([" ", "  ", ",", ".", ", ", "\t", "\n", "-", ""])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(_name_words, _separators), max_size=6).map(
            lambda parts: "".join(w + s for w, s in parts)
        )
        | st.text(max_size=70),
        min_size=1,
        max_size=30,
    ),
    st.integers(min_value=1, max_value=4),
)
def test_name_cells_matches_splitting_every_short_cell(cells: list[str], max_words: int) -> None:
    arr = pa.array(cells, pa.string())
    got = name_cells(arr, max_words=max_words)
    assert got.tolist() == _name_cells_reference(arr, max_words).tolist()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.integers(min_value=0, max_value=50), max_size=30), max_size=8),
    st.integers(min_value=1, max_value=40),
)
def test_distinct_hashes_count_as_a_set_would(batches: list[list[int]], cap: int) -> None:
    counter = DistinctHashes(cap)
    seen: set[int] | None = set()
    for batch in batches:
        counter.add(np.array(batch, dtype=np.uint64))
        if seen is not None:
            seen.update(batch)
            if len(seen) > cap:
                seen = None
    assert counter.count() == (None if seen is None else len(seen))


# Cells each rule is written to find, and their shapes in other cases and inside text.
_IDENTIFIERS = st.sampled_from(
    [
        "jane.doe@example.org",
        "jane dot doe at gmail dot com",
        "JANE [AT] EXAMPLE [DOT] ORG",
        "123-45-6789",
        "123456789",
        "943 476 5919",
        "AB 12 34 56 C",
        "SW1A 1AA",
        "+44 20 7946 0958",
        "(555) 867-5309",
        "12 High Street",
        "192.168.0.1",
        "1984-03-07",
        "07 Mar 1984",
        "03/07/1984",
        "Jane Smith",
        "Mary O'Brien",
        "90210",
        "90210-1234",
    ]
)
_AROUND = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_AROUND, _IDENTIFIERS, _AROUND, st.booleans()), min_size=1, max_size=20))
def test_a_cell_any_rule_matches_also_matches_all_the_rules_together(
    parts: list[tuple[str, str, str, bool]],
) -> None:
    cells = [(a + v.upper() + b) if upper else (a + v + b) for a, v, b, upper in parts]
    arr = pa.array(cells + [v for _, v, _, _ in parts], pa.string())
    together = np.asarray(
        pa.compute.match_substring_regex(arr, pattern=ANY_CONTENT_RULE).to_numpy(
            zero_copy_only=False
        )
    )
    for rule in _CONTENT_RULES:
        alone = np.asarray(
            pa.compute.match_substring_regex(arr, pattern=rule.pattern).to_numpy(
                zero_copy_only=False
            )
        )
        assert not (alone & ~together).any(), rule.description


_CELLS = st.sampled_from(["a", "b", "c", "d", "e", "f", "g", "NA", ".", "", "1", "2"])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(_CELLS, min_size=1, max_size=40), min_size=1, max_size=4),
    st.integers(min_value=1, max_value=12),
)
def test_value_counts_are_those_of_every_cell_or_given_up_past_the_cap(
    batches: list[list[str]], cap: int
) -> None:
    column = _ColumnInference(0, "x", _candidates(","), None, False, cap)
    for cells in batches:
        column.feed(pa.array(cells, pa.string()))
    present = Counter(c for cells in batches for c in cells if c not in MISSING_CANDIDATES)
    expected = dict(present) if len(present) <= cap else None
    assert column.values.counts == expected


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(_CELLS, min_size=1, max_size=40), min_size=1, max_size=4),
    st.integers(min_value=1, max_value=12),
)
def test_value_counter_counts_every_cell_or_gives_up_past_the_cap(
    batches: list[list[str]], cap: int
) -> None:
    counter = ValueCounter(cap)
    for cells in batches:
        counter.update(pa.array(cells, pa.string()))
    seen = Counter(c for cells in batches for c in cells)
    assert counter.counts == (dict(seen) if len(seen) <= cap else None)


_GATED = st.lists(
    st.one_of(st.none(), st.text(alphabet="ab@-.é 1", max_size=6)), min_size=0, max_size=30
)


@settings(max_examples=300, deadline=None)
@given(_GATED, st.integers(min_value=0, max_value=30), st.sampled_from(["@", "-", "."]))
def test_the_byte_scan_finds_the_gate_exactly_when_a_cell_holds_it(
    cells: list[str | None], start: int, gate: str
) -> None:
    values = pa.array(cells, pa.string()).slice(start)
    held = any(c is not None and gate in c for c in values.to_pylist())
    # Built from cells, a null holds no bytes, so the scan's "maybe" is exact here too.
    assert may_hold(values, gate) == held
    # Gates of the content rules are one byte, so the scan applies to all of them.
    assert all(len(r.gate.encode()) == 1 for r in _CONTENT_RULES if r.gate is not None)


_CODED = st.lists(
    st.one_of(
        st.none(),
        st.sampled_from(MISSING_CANDIDATES),
        st.sampled_from(["NA ", " NA", "nana", "missing!", "é", "ééééééé", "NULL\x00"]),
        st.text(max_size=12),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(_CODED, st.integers(min_value=0, max_value=40), st.lists(st.text(max_size=4), max_size=4))
def test_missing_cells_are_those_whose_text_is_a_code(
    cells: list[str | None], start: int, extra_codes: list[str]
) -> None:
    codes = list(MISSING_CANDIDATES) + extra_codes
    values = pa.array(cells, pa.string()).slice(start)
    expected = [c is not None and c in codes for c in values.to_pylist()]
    assert missing_mask(values, codes).tolist() == expected
    assert missing_mask(values, extra_codes).tolist() == [
        c is not None and c in extra_codes for c in values.to_pylist()
    ]
    lengths = byte_lengths(values)
    assert lengths is not None
    assert [n for n, c in zip(lengths.tolist(), values.to_pylist(), strict=True) if c] == [
        len(c.encode()) for c in values.to_pylist() if c
    ]
