"""The three-level model of a study-level table with several effects per study, as
a run computes and stores it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..effect_sizes import EffectSizes
from ..errors import AnalysisInputError
from .spec import RunSpec

if TYPE_CHECKING:
    from ..multilevel import MultilevelResult


def _three_level(
    spec: RunSpec, effects: EffectSizes, frame: pd.DataFrame, name: str
) -> tuple[MultilevelResult, dict[str, Any]]:
    """The three-level model of the table's effects, grouped by the study column, and
    what a run stores of it: the fit, each effect with its study and id, and the fit's
    numbers in plain words.  Each row is one effect; an effect-id column, when mapped,
    only names them, and must not repeat within a study (``random = ~ 1 | study/es_id``
    would then join two effects into one)."""
    from ..multilevel import in_plain_words as multilevel_words
    from ..multilevel import multilevel_meta_analysis

    h = spec.harmonisation
    study_column = h.get("study")
    if not study_column:
        raise AnalysisInputError(
            "the three-level model needs the study column", study=name, field="study"
        )
    # the labels effect_sizes_from_table read (a row without one is refused there)
    study = list(effects.labels)
    id_column = h.get("effect_id")
    if id_column:
        ids = frame[id_column].astype(str).str.strip().tolist()
    else:
        # inferred: the effects of a study numbered in the order of their rows
        counts: dict[str, int] = {}
        ids = []
        for s in study:
            counts[s] = counts.get(s, 0) + 1
            ids.append(str(counts[s]))
    repeated = set()
    for s, e in zip(study, ids, strict=True):
        if (s, e) in repeated:
            raise AnalysisInputError(
                f"effect {e!r} appears more than once in this study; each row must be a "
                "different effect",
                study=s,
                field="effect_id",
            )
        repeated.add((s, e))
    computed = np.isfinite(effects.yi) & np.isfinite(effects.vi)
    kept = np.flatnonzero(computed)
    notes = []
    if kept.size < len(study):
        left = [f"{study[i]} ({ids[i]})" for i in np.flatnonzero(~computed)]
        notes.append(
            f"{len(left)} effect{'s' if len(left) != 1 else ''} could not be computed and "
            f"{'are' if len(left) != 1 else 'is'} left out: {', '.join(left)}."
        )
    if kept.size == 0:
        raise AnalysisInputError("no effect could be computed from this table", study=name)
    fitted = multilevel_meta_analysis(
        effects.yi[kept], effects.vi[kept], [study[i] for i in kept], level=spec.level
    )
    ratio = spec.measure.is_ratio
    stored = fitted.to_dict()
    stored.update(
        measure=spec.measure.value,
        scale="log" if ratio else "identity",
        notes=notes,
        effects=[
            {
                "study": study[i],
                "effect_id": ids[i],
                "yi": float(effects.yi[i]),
                "vi": float(effects.vi[i]),
            }
            for i in kept
        ],
        in_plain_words=multilevel_words(fitted, spec.measure.label, ratio),
    )
    if ratio:
        c = fitted.coefficients[0]
        stored.update(
            estimate_exp=float(np.exp(c.estimate)),
            ci_low_exp=float(np.exp(c.ci_low)),
            ci_high_exp=float(np.exp(c.ci_high)),
            pi_low_exp=float(np.exp(fitted.pi_low)) if fitted.pi_low is not None else None,
            pi_high_exp=float(np.exp(fitted.pi_high)) if fitted.pi_high is not None else None,
        )
    return fitted, stored
