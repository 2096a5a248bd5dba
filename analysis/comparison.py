"""How the results of two runs differ: each pooled number before and after, and each
study's weight.

The inputs are the results as :func:`analysis.execute` stores them (plain JSON); a run
stored by an older version may lack a number, which then compares as missing (never as
zero).  Ratio measures are compared as they are reported, exponentiated; the change of
every number is ``new - old`` on that scale, and ``relative`` is that change as a share
of ``|old|`` (None when old is 0 or missing).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: The pooled numbers compared, in the order they are shown: (key, plain words, on the
#: effect scale).  Effect-scale numbers are exponentiated for ratio measures.
NUMBERS: tuple[tuple[str, str, bool], ...] = (
    ("estimate", "Pooled estimate", True),
    ("ci_low", "Confidence interval, lower end", True),
    ("ci_high", "Confidence interval, upper end", True),
    ("pvalue", "p-value", False),
    ("tau2", "Between-study variance (τ²)", False),
    ("i2", "Share of variation from heterogeneity (I², %)", False),
    ("q", "Heterogeneity statistic (Q)", False),
    ("k", "Number of studies (k)", False),
    ("pi_low", "Prediction interval, lower end", True),
    ("pi_high", "Prediction interval, upper end", True),
)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, int):
        return value  # counts (k) stay whole numbers
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True)
class Change:
    """One number before and after (None: not computed in that run)."""

    key: str
    label: str
    old: float | None
    new: float | None

    @property
    def change(self) -> float | None:
        if self.old is None or self.new is None:
            return None
        return self.new - self.old

    @property
    def relative(self) -> float | None:
        change = self.change
        if change is None or not self.old:
            return None
        assert self.old is not None
        return change / abs(self.old)

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "old": self.old,
            "new": self.new,
            "change": self.change,
            "relative": self.relative,
        }


@dataclass(frozen=True)
class Comparison:
    """The pooled numbers (``numbers``) and the studies' weights (``weights``, in
    percent, each study by its label; None where a study is absent or left out of the
    pooling); ``added`` and ``removed`` name the studies only one run has.
    ``comparable`` is False when the two runs estimate different measures, so their
    effect-scale numbers are not changes of one quantity."""

    old_measure: str | None
    new_measure: str | None
    numbers: tuple[Change, ...]
    weights: tuple[Change, ...]
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def comparable(self) -> bool:
        return self.old_measure == self.new_measure

    @property
    def changed(self) -> bool:
        return any(c.changed for c in (*self.numbers, *self.weights))

    def to_dict(self) -> dict[str, Any]:
        return {
            "old_measure": self.old_measure,
            "new_measure": self.new_measure,
            "comparable": self.comparable,
            "changed": self.changed,
            "numbers": [c.to_dict() for c in self.numbers],
            "weights": [c.to_dict() for c in self.weights],
            "studies_added": list(self.added),
            "studies_removed": list(self.removed),
        }


def _reported(pooled: Mapping[str, Any], key: str, effect_scale: bool) -> float | None:
    if effect_scale and pooled.get("scale") == "log":
        return _number(pooled.get(f"{key}_exp"))
    return _number(pooled.get(key))


def _weights(pooled: Mapping[str, Any]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for study in pooled.get("studies") or ():
        if isinstance(study, Mapping) and study.get("study") is not None:
            weight = _number(study.get("weight")) if study.get("included", True) else None
            out[str(study["study"])] = weight
    return out


def compare_results(old: Mapping[str, Any], new: Mapping[str, Any]) -> Comparison:
    """Compare two runs' stored results (their ``pooled`` models)."""
    before = old.get("pooled") or {}
    after = new.get("pooled") or {}
    numbers = tuple(
        Change(
            key,
            label,
            _reported(before, key, effect_scale),
            _reported(after, key, effect_scale),
        )
        for key, label, effect_scale in NUMBERS
    )
    old_weights, new_weights = _weights(before), _weights(after)
    order = [*old_weights, *(s for s in new_weights if s not in old_weights)]
    weights = tuple(
        Change(study, study, old_weights.get(study), new_weights.get(study)) for study in order
    )
    return Comparison(
        before.get("measure"),
        after.get("measure"),
        numbers,
        weights,
        added=tuple(s for s in new_weights if s not in old_weights),
        removed=tuple(s for s in old_weights if s not in new_weights),
    )
