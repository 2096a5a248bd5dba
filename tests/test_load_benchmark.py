"""The load benchmark's client sends what a real game client would: layouts the
server accepts, as well-formed HTTP requests."""

from __future__ import annotations

import importlib.util
import json
import random
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from games.checking import check_solution

_spec = importlib.util.spec_from_file_location(
    "load_benchmark", Path(__file__).resolve().parents[1] / "benchmarks" / "load.py"
)
load = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(load)

ROWS = ["ACGTTGCA---", "--ACGTTGCA-", "ACGGCA-----"]


@given(st.integers(min_value=0, max_value=2**32))
def test_random_layouts_keep_every_rows_residues_in_order(seed):
    layout = load.random_layout(ROWS, random.Random(seed))
    sequences = [row.replace("-", "") for row in ROWS]
    assert check_solution(sequences, layout, max_width=len(ROWS[0])) == layout


def test_a_plan_encodes_complete_requests():
    plan = load.Plan(
        8000, "submit", [{"id": 7, "rows": ROWS}], ["orp_token"], seed=1, submissions=3
    )
    name, request = plan.next()
    head, _, body = request.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert name == "solution submit" and lines[0] == "POST /api/v1/puzzles/7/solutions HTTP/1.1"
    headers = dict(line.split(": ", 1) for line in lines[1:])
    assert int(headers["Content-Length"]) == len(body)
    assert headers["Authorization"] == "Bearer orp_token"
    assert len(json.loads(body)["rows"]) == len(ROWS)
    # Past the prepared layouts they come round again, in the same order.
    assert [plan.next()[1] for _ in range(3)][-1] == request


def test_every_phase_comes_at_every_place_of_a_round_in_turn():
    orders = load.interleaved(6)
    assert all(sorted(order) == sorted(load.PHASES) for order in orders)
    for place in range(3):
        assert {order[place] for order in orders[:3]} == set(load.PHASES)


def test_figures_are_medians_over_rounds():
    rounds = [{"x": {"rps": v, "p99_ms": 10 * v}} for v in (1.0, 5.0, 3.0)]
    combined = load.combine(rounds)["x"]
    assert combined["rps"] == 3.0 and combined["p99_ms"] == 30.0
    assert combined["rounds_rps"] == [1.0, 5.0, 3.0]
