"""Full-text search over dataset metadata: FTS5 on SQLite, tsvector on PostgreSQL."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Integer, Select, column, func, or_, select, text
from sqlalchemy.orm import Session

from portal.data.models import Dataset, DatasetTag

_TOKEN = re.compile(r"\w+", re.UNICODE)


@dataclass
class Filters:
    q: str = ""
    condition: str = ""
    intervention: str = ""
    licence: str = ""
    design: str = ""
    level: str = ""


def _fts5_query(q: str) -> str:
    # Quoting every token keeps user input out of FTS5's query syntax (AND, NEAR, "*").
    return " ".join(f'"{token}"*' for token in _TOKEN.findall(q)[:20])


def _text_match(session: Session, q: str):
    tag_match = DatasetTag.value.like(f"%{q.strip().lower()}%")
    tags = select(DatasetTag.dataset_id).where(tag_match)
    if session.get_bind().dialect.name == "postgresql":
        document = func.to_tsvector("english", Dataset.title + " " + Dataset.description)
        return or_(
            document.bool_op("@@")(func.websearch_to_tsquery("english", q)), Dataset.id.in_(tags)
        )
    query = _fts5_query(q)
    if not query:
        return Dataset.id.in_(tags)
    fts = (
        text("SELECT rowid FROM datasets_fts WHERE datasets_fts MATCH :query")
        .bindparams(query=query)
        .columns(column("rowid", Integer))
    )
    return or_(Dataset.id.in_(fts), Dataset.id.in_(tags))


def apply_filters(session: Session, statement: Select, filters: Filters) -> Select:
    if filters.q.strip():
        statement = statement.where(_text_match(session, filters.q))
    for kind, value in (("condition", filters.condition), ("intervention", filters.intervention)):
        if value.strip():
            statement = statement.where(
                Dataset.id.in_(
                    select(DatasetTag.dataset_id).where(
                        DatasetTag.kind == kind, DatasetTag.value == value.strip().lower()
                    )
                )
            )
    if filters.licence:
        statement = statement.where(Dataset.licence == filters.licence)
    if filters.design:
        statement = statement.where(Dataset.study_design == filters.design)
    if filters.level:
        statement = statement.where(Dataset.level == filters.level)
    return statement


def facet_values(session: Session, kind: str) -> list[tuple[str, str]]:
    """(value, label) of the tags of a kind, for the filter menus."""
    rows = session.execute(
        select(DatasetTag.value, func.min(DatasetTag.label))
        .where(DatasetTag.kind == kind)
        .group_by(DatasetTag.value)
        .order_by(DatasetTag.value)
    ).all()
    return [(value, label) for value, label in rows]
