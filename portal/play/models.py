"""Alignments that puzzles come from, the puzzles, and players' solutions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, JSONDocument, UTCDateTime, utcnow

NICKNAME_MAX = 32


class AlignmentSource(Base):
    """A research alignment puzzles are cut from; ``rows`` is its current
    state (improved by spliced solutions), ``original_rows`` as imported."""

    __tablename__ = "alignment_sources"
    __table_args__ = (CheckConstraint("kind IN ('dna', 'protein')", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))
    licence: Mapped[str] = mapped_column(String(64), default="")
    source: Mapped[str] = mapped_column(Text, default="")
    names: Mapped[list[str]] = mapped_column(JSONDocument)
    rows: Mapped[list[str]] = mapped_column(JSONDocument)
    original_rows: Mapped[list[str]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    puzzles: Mapped[list[Puzzle]] = relationship(back_populates="alignment")


class Puzzle(Base):
    __tablename__ = "puzzles"
    __table_args__ = (
        CheckConstraint("kind IN ('dna', 'protein')", name="kind_known"),
        CheckConstraint(
            "level IN ('tutorial', 'beginner', 'intermediate', 'expert')", name="level_known"
        ),
        # Re-cutting may run in several processes at once: one puzzle per window.
        UniqueConstraint("alignment_id", "level", "source_start", "source_end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("alignment_sources.id", ondelete="CASCADE"), index=True, default=None
    )
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(16))
    scheme: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    names: Mapped[list[str]] = mapped_column(JSONDocument)
    sequences: Mapped[list[str]] = mapped_column(JSONDocument)
    start: Mapped[list[str]] = mapped_column(JSONDocument)
    width: Mapped[int] = mapped_column(Integer)
    start_score: Mapped[float] = mapped_column(Float)
    par: Mapped[float] = mapped_column(Float)
    par_layout: Mapped[list[str]] = mapped_column(JSONDocument)
    difficulty: Mapped[float] = mapped_column(Float, default=1.0)
    source_start: Mapped[int] = mapped_column(Integer, default=0)
    source_end: Mapped[int] = mapped_column(Integer, default=0)
    source_rows: Mapped[list[int]] = mapped_column(JSONDocument, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    #: Set when the puzzle stops being offered (see retirement.retire_finished);
    #: a retired puzzle stays viewable but takes no new solutions.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    retired_reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    alignment: Mapped[AlignmentSource | None] = relationship(back_populates="puzzles")


class Solution(Base):
    """One distinct layout submitted by one player for one puzzle; submitting
    the same layout again is collapsed onto this row."""

    __tablename__ = "puzzle_solutions"
    __table_args__ = (
        UniqueConstraint("puzzle_id", "player_key", "layout_hash"),
        # A puzzle's best score is read with every submission: with the score in
        # the index it is one step down the index, not a scan of the puzzle's rows.
        Index("ix_puzzle_solutions_puzzle_id_score", "puzzle_id", "score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    puzzle_id: Mapped[int] = mapped_column(ForeignKey("puzzles.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True, default=None
    )
    player_key: Mapped[str] = mapped_column(String(80), index=True)
    nickname: Mapped[str] = mapped_column(String(NICKNAME_MAX))
    layout_hash: Mapped[str] = mapped_column(String(64))
    rows: Mapped[list[str]] = mapped_column(JSONDocument)
    score: Mapped[float] = mapped_column(Float)
    points: Mapped[int] = mapped_column(Integer, default=0)
    submissions: Mapped[int] = mapped_column(Integer, default=1)
    #: Hints the player had taken on this puzzle when they sent it; each cost
    #: points (see hints.HINT_COST), so ``points`` is already net of them.
    hints: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Sent faster than a person plays (see submissions.FLAG_BURST): kept, and
    #: still usable for research, but left off the leaderboards.
    flagged: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    puzzle: Mapped[Puzzle] = relationship()


class PuzzleHint(Base):
    """One hint shown to one player on one puzzle: counted when they submit."""

    __tablename__ = "puzzle_hints"
    __table_args__ = (Index("ix_puzzle_hints_puzzle_id_player_key", "puzzle_id", "player_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    puzzle_id: Mapped[int] = mapped_column(ForeignKey("puzzles.id", ondelete="CASCADE"))
    player_key: Mapped[str] = mapped_column(String(80))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AlignmentChange(Base):
    """A solution spliced into its alignment: which columns it changed, and
    the alignment's score before and after."""

    __tablename__ = "alignment_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    alignment_id: Mapped[int] = mapped_column(
        ForeignKey("alignment_sources.id", ondelete="CASCADE"), index=True
    )
    solution_id: Mapped[int | None] = mapped_column(
        ForeignKey("puzzle_solutions.id", ondelete="SET NULL"), index=True, default=None
    )
    start_column: Mapped[int] = mapped_column(Integer)
    end_column: Mapped[int] = mapped_column(Integer)
    new_end_column: Mapped[int] = mapped_column(Integer)
    score_before: Mapped[float] = mapped_column(Float)
    score_after: Mapped[float] = mapped_column(Float)
    #: The puzzle whose window changed (a consensus comes from no one solution).
    puzzle_id: Mapped[int | None] = mapped_column(
        ForeignKey("puzzles.id", ondelete="SET NULL"), index=True, default=None
    )
    #: "best" (one player's solution) or "consensus" (many players' votes).
    method: Mapped[str] = mapped_column(String(16), default="best", server_default="best")
    #: How many solutions voted (1 for a single best solution).
    kept: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    credits: Mapped[list[AlignmentCredit]] = relationship(
        back_populates="change", cascade="all, delete-orphan", passive_deletes=True
    )


class AlignmentCredit(Base):
    """One player credited for a change: their solution voted for it (or was it),
    with their share of the votes the spliced layout received."""

    __tablename__ = "alignment_credits"

    id: Mapped[int] = mapped_column(primary_key=True)
    change_id: Mapped[int] = mapped_column(
        ForeignKey("alignment_changes.id", ondelete="CASCADE"), index=True
    )
    solution_id: Mapped[int | None] = mapped_column(
        ForeignKey("puzzle_solutions.id", ondelete="SET NULL"), index=True, default=None
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True, default=None
    )
    player_key: Mapped[str] = mapped_column(String(80))
    nickname: Mapped[str] = mapped_column(String(NICKNAME_MAX))
    share: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    change: Mapped[AlignmentChange] = relationship(back_populates="credits")


class WindowConsensus(Base):
    """The latest consensus of one puzzle's near-best solutions, kept by each
    splice so researchers see how strongly players agree per column."""

    __tablename__ = "window_consensus"

    puzzle_id: Mapped[int] = mapped_column(
        ForeignKey("puzzles.id", ondelete="CASCADE"), primary_key=True
    )
    alignment_id: Mapped[int] = mapped_column(
        ForeignKey("alignment_sources.id", ondelete="CASCADE"), index=True
    )
    rows: Mapped[list[str]] = mapped_column(JSONDocument)
    score: Mapped[float] = mapped_column(Float)
    best_score: Mapped[float] = mapped_column(Float)
    kept: Mapped[int] = mapped_column(Integer)
    #: Per board column of ``rows``: the share of kept solutions agreeing (None: no residue).
    agreement: Mapped[list[float | None]] = mapped_column(JSONDocument)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Badge(Base):
    """A badge a player with an account earned; each badge once per user
    (the database enforces it, so two requests racing cannot award it twice)."""

    __tablename__ = "player_badges"
    __table_args__ = (UniqueConstraint("user_id", "badge"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    badge: Mapped[str] = mapped_column(String(40))
    puzzle_id: Mapped[int | None] = mapped_column(
        ForeignKey("puzzles.id", ondelete="SET NULL"), default=None
    )
    awarded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
