"""Per-study effect sizes and sampling variances, as ``metafor::escalc`` computes them.

One module per kind of study-level table, each with its measures and its checks:

* :mod:`~analysis.effect_sizes.binary`: events of two arms (OR, RR, RD; Peto's log odds ratio);
* :mod:`~analysis.effect_sizes.continuous`: means, SDs and sizes of two arms (MD, SMD, ROM);
* :mod:`~analysis.effect_sizes.correlations`: one correlation per study (COR, ZCOR);
* :mod:`~analysis.effect_sizes.proportions`: one proportion per study (PR, PLO, PAS);
* :mod:`~analysis.effect_sizes.rates`: events over person-time in two arms (IRR, IRD);
* :mod:`~analysis.effect_sizes.time_to_event`: Cox log hazard ratios from participant rows;
* :mod:`~analysis.effect_sizes.tables`: any of them from a table's columns, or estimates
  already computed;

and ``_common`` for what they share: :class:`EffectSizes`, the measures of each kind of
table and the checks of the input.

An empty arm or study (a total or person-time of 0) is refused for every
measure: escalc still returns an effect after the correction, but that number
would come from the added 1/2 alone, not from anything the study observed.
"""

from __future__ import annotations

from ._common import (
    BINARY_MEASURES,
    BINARY_ROLES,
    CONTINUOUS_MEASURES,
    CONTINUOUS_ROLES,
    CORRELATION_MEASURES,
    PROPORTION_MEASURES,
    RATE_MEASURES,
    EffectSizes,
)
from .binary import binary_effect_sizes, peto_log_odds_ratios
from .continuous import continuous_effect_sizes, hedges_correction
from .correlations import correlation_effect_sizes
from .proportions import proportion_effect_sizes
from .rates import rate_effect_sizes
from .tables import effect_sizes_from_estimates, effect_sizes_from_table, required_roles
from .time_to_event import cox_log_hazard_ratio, hazard_ratio_effect_sizes

__all__ = [
    "BINARY_MEASURES",
    "BINARY_ROLES",
    "CONTINUOUS_MEASURES",
    "CONTINUOUS_ROLES",
    "CORRELATION_MEASURES",
    "PROPORTION_MEASURES",
    "RATE_MEASURES",
    "EffectSizes",
    "binary_effect_sizes",
    "continuous_effect_sizes",
    "correlation_effect_sizes",
    "cox_log_hazard_ratio",
    "effect_sizes_from_estimates",
    "effect_sizes_from_table",
    "hazard_ratio_effect_sizes",
    "hedges_correction",
    "peto_log_odds_ratios",
    "proportion_effect_sizes",
    "rate_effect_sizes",
    "required_roles",
]
