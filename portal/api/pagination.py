"""One page of a list: the same envelope, ``{items, page, per_page, has_more}``, everywhere."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select

from portal import db
from portal.api.schemas import PageQuery

T = TypeVar("T")


def paged(statement: Select[Any], query: PageQuery, render: Callable[[Any], Any]) -> dict[str, Any]:
    """One page of a query's rows: one row more is read to know whether more follow."""
    rows = (
        db.session()
        .scalars(statement.offset((query.page - 1) * query.per_page).limit(query.per_page + 1))
        .all()
    )
    return _envelope(rows, query, render)


def page_of(items: Sequence[T], query: PageQuery, render: Callable[[T], Any]) -> dict[str, Any]:
    """One page of a list already in memory (ranked in Python, say)."""
    start = (query.page - 1) * query.per_page
    return _envelope(items[start : start + query.per_page + 1], query, render)


def _envelope(
    rows: Sequence[Any], query: PageQuery, render: Callable[[Any], Any]
) -> dict[str, Any]:
    return {
        "items": [render(row) for row in rows[: query.per_page]],
        "page": query.page,
        "per_page": query.per_page,
        "has_more": len(rows) > query.per_page,
    }
