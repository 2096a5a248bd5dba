"""A run's options read from text (a form, a stored run, the command line): each
reader raises :class:`AnalysisInputError` naming the option it could not read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, TypeVar

from ..errors import AnalysisInputError
from ..filters import RowFilter, as_filters
from ..vocabulary import StudyEffect

_Word = TypeVar("_Word", bound=StrEnum)


def _participant_only() -> AnalysisInputError:
    return AnalysisInputError(
        "Stage, covariates and filters apply to participant-level runs only.", field="options"
    )


def _not_one_of(name: str, offered: Sequence[str]) -> AnalysisInputError:
    return AnalysisInputError(f"{name} must be one of {', '.join(offered)}.", field=name)


def _word(
    words: type[_Word], value: Any, name: str, offered: Sequence[_Word] | None = None
) -> _Word:
    """``value`` as one of the ``offered`` words (default: all of them)."""
    offered = tuple(words) if offered is None else tuple(offered)
    if value not in offered:
        raise _not_one_of(name, offered)
    return words(value)


def _level(value: Any) -> float:
    try:
        level = float(value)
    except (TypeError, ValueError):
        raise AnalysisInputError("level must be a number such as 0.95.", field="level") from None
    if 1 < level < 100:  # 95 means 95%
        level /= 100
    _check_level(level)
    return level


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise AnalysisInputError(
            "level must be between 0 and 1 (e.g. 0.95) or a percentage.", field="level"
        )


def _names(value: Any, name: str) -> list[str]:
    """A list of names from a list or a comma-separated string (forms send text)."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise AnalysisInputError(f"{name} is a list of names.", field=name)
    return [v.strip() for v in value if v.strip()]


def _flag(value: Any, name: str) -> bool:
    """A yes/no option as JSON gives it or as a form's checkbox sends it."""
    if isinstance(value, bool) or value is None:
        return bool(value)
    text = str(value).strip().lower()
    if text in ("", "0", "false", "no", "off"):
        return False
    if text in ("1", "true", "yes", "on"):
        return True
    raise AnalysisInputError(f"{name} must be true or false.", field=name)


def _whole(value: Any, name: str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise AnalysisInputError(f"{name} must be a whole number.", field=name) from None
    if number < 0 or number >= 2**32:
        raise AnalysisInputError(f"{name} must be between 0 and {2**32 - 1}.", field=name)
    return number


def _predictions(value: Any) -> tuple[dict[str, Any], ...]:
    """Moderator values to predict at: as stored (a list of objects) or as typed, one
    prediction per line, ``dose = 20; region = north``."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        value = [line for line in value.splitlines() if line.strip()]
    if not isinstance(value, (list, tuple)):
        raise AnalysisInputError(
            'predict is a list such as [{"dose": 20}] or lines such as "dose = 20".',
            field="predict",
        )
    out = []
    for item in value:
        if isinstance(item, str):
            at: dict[str, Any] = {}
            for part in item.split(";"):
                name, sign, text = part.partition("=")
                if not sign or not name.strip() or not text.strip():
                    raise AnalysisInputError(
                        f"Cannot read {item.strip()!r}: write each value as "
                        "moderator = value, separated by semicolons.",
                        field="predict",
                    )
                at[name.strip()] = text.strip()
            item = at
        if not isinstance(item, Mapping) or not item:
            raise AnalysisInputError(
                "Each prediction gives at least one moderator's value.", field="predict"
            )
        if not all(
            isinstance(k, str) and isinstance(v, (str, int, float)) for k, v in item.items()
        ):
            raise AnalysisInputError(
                "Each prediction maps moderator names to values.", field="predict"
            )
        out.append(dict(item))
    return tuple(out)


def _study_effect(value: Any) -> StudyEffect:
    if value not in tuple(StudyEffect):
        raise AnalysisInputError("study_effect must be 'fixed' or 'random'.", field="study_effect")
    return StudyEffect(value)


def _filters(value: Any) -> tuple[RowFilter, ...]:
    """Filters as stored (dicts) or typed (one per line, or a list of lines)."""
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, (list, tuple)):
        raise AnalysisInputError('filters is a list such as ["age >= 50"].', field="filters")
    try:
        return as_filters(value)
    except AnalysisInputError as error:
        raise AnalysisInputError(error.reason, field="filters") from None
