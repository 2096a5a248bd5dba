"""Participant-level (IPD) pooling: harmonisation, two-stage and one-stage models.

* :mod:`~analysis.ipd.harmonise`: per-dataset mappings onto one set of analysis
  variables (:class:`Harmonisation`), applied to give one table of participants;
* :mod:`~analysis.ipd.two_stage`: the effect estimated in each study, then pooled;
* :mod:`~analysis.ipd.one_stage`: one regression on all participants, study as a
  stratum (or a random intercept for continuous outcomes).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._design import covariate_matrix
    from .harmonise import (
        OUTCOME_TYPES,
        DatasetMapping,
        Harmonisation,
        HarmonisedData,
        mapped_covariates,
    )
    from .one_stage import STUDY_EFFECTS, OneStageResult, one_stage
    from .two_stage import TwoStageResult, two_stage

#: Each public name and the module that defines it, imported when first asked for:
#: a mapping (the web app's analysis builder) needs the harmonisation alone, not the
#: models, whose statistics stacks (scipy.stats, statsmodels) take seconds to import.
_HOMES: dict[str, str] = {
    "covariate_matrix": "_design",
    "OUTCOME_TYPES": "harmonise",
    "DatasetMapping": "harmonise",
    "Harmonisation": "harmonise",
    "HarmonisedData": "harmonise",
    "mapped_covariates": "harmonise",
    "STUDY_EFFECTS": "one_stage",
    "OneStageResult": "one_stage",
    "one_stage": "one_stage",
    "TwoStageResult": "two_stage",
    "two_stage": "two_stage",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


class _Package(types.ModuleType):
    """``one_stage`` and ``two_stage`` name both a function and its module. Importing
    the module binds its name on the package, which would hide the function from
    ``from analysis.ipd import one_stage``; the function is bound instead."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _HOMES.get(name) == name:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


__all__ = [
    "OUTCOME_TYPES",
    "STUDY_EFFECTS",
    "DatasetMapping",
    "Harmonisation",
    "HarmonisedData",
    "OneStageResult",
    "TwoStageResult",
    "covariate_matrix",
    "mapped_covariates",
    "one_stage",
    "two_stage",
]
