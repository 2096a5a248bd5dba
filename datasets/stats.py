"""Per-column summary statistics accumulated batch by batch in bounded memory."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Distinct values counted exactly per column; beyond this a column is
#: "high cardinality" and its top values are not reported.
MAX_TRACKED_DISTINCT = 10_000
#: Distinct values tracked across all columns, so wide files stay bounded.
TRACKED_VALUES_BUDGET = 1_000_000
TOP_N = 10


def distinct_cap(width: int) -> int:
    """Per-column cap on tracked distinct values for a table this wide."""
    return max(100, min(MAX_TRACKED_DISTINCT, TRACKED_VALUES_BUDGET // max(1, width)))


class NumericAccumulator:
    """Count, mean, variance (Chan et al. pairwise merge), min and max."""

    def __init__(self) -> None:
        self.n = 0
        self.mean = 0.0
        self.m2 = 0.0
        self.min: float | None = None
        self.max: float | None = None

    def update(self, values: np.ndarray, weights: np.ndarray | None = None) -> None:
        """Add a batch; ``weights`` counts how often each value occurs."""
        finite = np.isfinite(values)
        if not finite.all():
            values = values[finite]
            weights = weights[finite] if weights is not None else None
        if values.size == 0:
            return
        if weights is None:
            k = int(values.size)
            b_mean = float(values.mean())
            b_m2 = float(((values - b_mean) ** 2).sum())
        else:
            w = weights.astype(np.float64)
            k = int(weights.sum())
            b_mean = float((values * w).sum() / k)
            b_m2 = float((w * (values - b_mean) ** 2).sum())
        lo, hi = float(values.min()), float(values.max())
        if self.n == 0 or self.min is None or self.max is None:  # the first batch
            self.n, self.mean, self.m2, self.min, self.max = k, b_mean, b_m2, lo, hi
            return
        n = self.n + k
        delta = b_mean - self.mean
        self.mean += delta * k / n
        self.m2 += b_m2 + delta * delta * self.n * k / n
        self.n = n
        self.min = min(self.min, lo)
        self.max = max(self.max, hi)

    @property
    def sd(self) -> float | None:
        if self.n < 2:
            return None
        return math.sqrt(self.m2 / (self.n - 1))


class ValueCounter:
    """Exact value counts until a column proves to have too many values."""

    def __init__(self, cap: int = MAX_TRACKED_DISTINCT) -> None:
        self.cap = cap
        self.counts: dict[str, int] | None = {}

    @property
    def overflowed(self) -> bool:
        return self.counts is None

    def update(self, arr: pa.Array) -> None:
        if self.counts is None or len(arr) == 0:
            return
        if len(arr) > 2 * self.cap and self.overflows(arr.slice(0, 2 * self.cap)):
            return
        vc = pc.value_counts(arr)
        if len(vc) > self.cap:
            self.counts = None
            return
        values = vc.field("values").to_pylist()
        counts = vc.field("counts").to_pylist()
        target = self.counts
        for v, c in zip(values, counts, strict=True):
            target[v] = target.get(v, 0) + c
        if len(target) > self.cap:
            self.counts = None

    def overflows(self, head: pa.Array) -> bool:
        """Give up at once if ``head`` (the start of a batch) alone has more distinct
        values than the cap: counting all of a batch of ids, timestamps or notes
        costs more than the rest of its checks, only for the counts to be dropped."""
        if len(pc.value_counts(head)) > self.cap:
            self.counts = None
        return self.counts is None

    def add_counts(self, values: pa.Array, counts: np.ndarray) -> None:
        """Merge counts already computed (e.g. by ``pc.value_counts``)."""
        if self.counts is None:
            return
        if len(values) > self.cap:
            self.counts = None
            return
        target = self.counts
        for v, c in zip(values.to_pylist(), counts.tolist(), strict=True):
            target[v] = target.get(v, 0) + c
        if len(target) > self.cap:
            self.counts = None

    def top(self, n: int = TOP_N) -> list[tuple[str, int]]:
        if self.counts is None:
            return []
        return sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]

    @property
    def distinct(self) -> int | None:
        return None if self.counts is None else len(self.counts)


class DistinctHashes:
    """How many distinct values (by 64-bit hash) a column holds, up to ``cap``.

    Batches add the hashes of their values; repeats are removed in one sort
    only once enough have gathered, so a batch costs an append, not a merge.
    Past ``cap`` distinct values the count is given up (``overflowed``).
    """

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.seen = np.empty(0, dtype=np.uint64)
        self.pending: list[np.ndarray] = []
        self.pending_size = 0
        self.overflowed = False

    def add(self, hashes: np.ndarray) -> None:
        if self.overflowed:
            return
        self.pending.append(hashes)
        self.pending_size += int(hashes.size)
        if self.pending_size > max(self.cap, 1 << 16):
            self._compact()

    def _compact(self) -> None:
        if self.pending:
            # A hash table drops repeats in one pass, where sorting costs log n passes.
            self.seen = pd.unique(np.concatenate([self.seen, *self.pending]))
            self.pending, self.pending_size = [], 0
        if self.seen.size > self.cap:
            self.overflowed = True
            self.seen = np.empty(0, dtype=np.uint64)

    def count(self) -> int | None:
        """Distinct values so far; None once past the cap."""
        self._compact()
        return None if self.overflowed else int(self.seen.size)


@dataclass
class ColumnSummary:
    """What a data dictionary page shows about one column."""

    name: str
    type: str
    format: str | None = None
    count: int = 0  # non-missing, valid cells
    missing: int = 0
    invalid: int = 0
    distinct: int | None = None  # None: more than ``cap`` distinct values
    min: float | str | None = None
    max: float | str | None = None
    mean: float | None = None
    sd: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    top: list[tuple[str, int]] = field(default_factory=list)
    cap: int = MAX_TRACKED_DISTINCT  # distinct values were counted up to this

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["top"] = [{"value": v, "count": c} for v, c in self.top]
        out["distinct_exceeds"] = self.cap if self.distinct is None else None
        return out


class ColumnStats:
    """Accumulates one column's summary for a known type."""

    def __init__(
        self, name: str, ftype: str, fmt: str | None = None, cap: int = MAX_TRACKED_DISTINCT
    ) -> None:
        self.name = name
        self.type = ftype
        self.format = fmt
        self.missing = 0
        self.invalid = 0
        self.count = 0
        self.numeric = NumericAccumulator()
        self.values = ValueCounter(cap)
        self.min_len: int | None = None
        self.max_len: int | None = None
        self.tmin: int | None = None
        self.tmax: int | None = None

    def add_text(self, valid_text: pa.Array) -> None:
        """Valid, non-missing cells as text: counts, distinct, lengths."""
        self.count += len(valid_text)
        self.values.update(valid_text)
        if self.type in ("string", "any") and len(valid_text):
            lengths = pc.utf8_length(valid_text)
            mm = pc.min_max(lengths).as_py()
            lo, hi = mm["min"], mm["max"]
            self.min_len = lo if self.min_len is None else min(self.min_len, lo)
            self.max_len = hi if self.max_len is None else max(self.max_len, hi)

    def add_numbers(self, values: np.ndarray) -> None:
        self.numeric.update(values)

    def add_seconds(self, seconds: np.ndarray) -> None:
        if seconds.size == 0:
            return
        lo, hi = int(seconds.min()), int(seconds.max())
        self.tmin = lo if self.tmin is None else min(self.tmin, lo)
        self.tmax = hi if self.tmax is None else max(self.tmax, hi)

    def summary(self) -> ColumnSummary:
        s = ColumnSummary(
            name=self.name,
            type=self.type,
            format=self.format,
            count=self.count,
            missing=self.missing,
            invalid=self.invalid,
            distinct=self.values.distinct,
            cap=self.values.cap,
        )
        if self.type in ("integer", "number", "year"):
            acc = self.numeric
            if acc.n and acc.min is not None and acc.max is not None:
                s.min, s.max, s.mean, s.sd = acc.min, acc.max, acc.mean, acc.sd
                if self.type in ("integer", "year"):
                    s.min, s.max = int(acc.min), int(acc.max)
        elif self.type in ("date", "datetime", "time") and self.tmin is not None:
            assert self.tmax is not None  # add_seconds sets both
            s.min = _render_seconds(self.tmin, self.type)
            s.max = _render_seconds(self.tmax, self.type)
        if self.type in ("string", "boolean", "any") or (
            self.values.distinct is not None and self.values.distinct <= 20
        ):
            s.top = self.values.top()
        s.min_length, s.max_length = self.min_len, self.max_len
        return s


def _render_seconds(seconds: int, ftype: str) -> str:
    moment = dt.datetime(1970, 1, 1) + dt.timedelta(seconds=seconds)
    if ftype == "date":
        return moment.date().isoformat()
    if ftype == "time":
        return moment.time().isoformat()
    return moment.isoformat()
