"""A run specification, and the one function that computes it for the portal and the CLI.

A :class:`RunSpec` says everything a run computes from: the kind of analysis, the
measure, the pooling method and its options, the harmonisation (as stored) and the
datasets in order.  It checks itself, so a spec that exists can be run.
:func:`execute` takes a spec and the datasets' tables and returns a :class:`RunResult`
whose ``results`` are what the portal stores for a run: the pooled estimate, the
per-study effect sizes, leave-one-out and cumulative tables, subgroups, Egger's test,
trim and fill, the rank correlation test, fail-safe N, influence diagnostics,
the one-stage model and the two-stage details of participant-level runs, and the
software versions.  The command line asks only for the model it prints
(``primary_only``).

Stored harmonisations have two forms.  Aggregate runs name the columns of the one
study-level table: ``{"columns": {role: column}, "study", "year", "subgroup"}``
(``year`` orders the cumulative meta-analysis, ``subgroup`` groups the studies).
Participant-level runs store :meth:`~analysis.ipd.Harmonisation.to_dict`'s form,
datasets keyed by their names.
"""

from .computing import Progress, RunResult, execute
from .spec import PARTICIPANT_OPTIONS, REGRESSION_OPTIONS, RunSpec

__all__ = [
    "PARTICIPANT_OPTIONS",
    "REGRESSION_OPTIONS",
    "Progress",
    "RunResult",
    "RunSpec",
    "execute",
]
