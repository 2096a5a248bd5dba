"""Errors raised by the analysis core.

Callers (web app, CLI, workers) need to tell a user *which study* and *which
field* is wrong, so every input problem carries both as attributes instead of
being buried in a message string.
"""

from __future__ import annotations


class AnalysisInputError(ValueError):
    """Input data that cannot be analysed.

    Attributes
    ----------
    study:
        Label of the offending study (or row, or dataset); ``None`` when the
        problem is not tied to one study (e.g. an unknown column).
    field:
        Name of the offending field/column/argument; ``None`` when not tied to
        one field.
    """

    def __init__(self, message: str, *, study: str | None = None, field: str | None = None):
        self.study = study
        self.field = field
        self.reason = message
        prefix = []
        if study is not None:
            prefix.append(f"study {study!r}")
        if field is not None:
            prefix.append(f"field {field!r}")
        full = f"{', '.join(prefix)}: {message}" if prefix else message
        super().__init__(full)


class ConvergenceError(RuntimeError):
    """An iterative estimator did not converge (mirrors metafor's hard stop)."""
