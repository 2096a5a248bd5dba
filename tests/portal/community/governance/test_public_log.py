"""The public moderation log counts decisions by week, kind and category, over weeks
that are over: checked against a count written out event by event, over random
events on both sides of the weeks' edges."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from portal.audit import AuditEvent
from portal.community.governance import public_log
from portal.community.moderation.models import CATEGORIES, category_label

NOW = datetime(2026, 12, 9, 15, 30, tzinfo=UTC)  # a Wednesday
#: Events a log reads and events it must not count (other kinds, and the founding's).
ACTIONS = [*public_log.LINES, "moderation.unknown", "community.proposed", "account.suspended"]
CATEGORY_VALUES = [value for value, _ in CATEGORIES] + [None]


def reference(events, community_id: int, now: datetime) -> list[tuple]:
    """Week by week, the slow way: every day back to the oldest week shown, every event."""
    settled = now - public_log.SETTLED
    monday = (settled - timedelta(days=settled.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    weeks = []
    for back in range(1, public_log.WEEKS_SHOWN + 1):
        start, end = monday - back * timedelta(days=7), monday - (back - 1) * timedelta(days=7)
        inside = [
            (action, category)
            for action, when, community, category in events
            if community == community_id and start <= when < end and action in public_log.LINES
        ]
        if not inside:
            continue
        lines = []
        for label in dict.fromkeys(public_log.LINES.values()):
            counted = [c for action, c in inside if public_log.LINES[action] == label]
            if not counted:
                continue
            why = Counter(category_label(c or "") for c in counted)
            lines.append(
                (
                    label,
                    len(counted),
                    sorted(why.items(), key=lambda kv: (-kv[1], kv[0]))
                    if label == public_log.REMOVED
                    else [],
                )
            )
        weeks.append((start, lines))
    return weeks


def shown(weeks: list[public_log.Week]) -> list[tuple]:
    return [(w.starts, [(x.label, x.count, x.why) for x in w.lines]) for w in weeks]


events = st.lists(
    st.tuples(
        st.sampled_from(ACTIONS),
        # From before the oldest week shown to after now, to the second.
        st.integers(min_value=-(public_log.WEEKS_SHOWN + 2) * 7 * 86400, max_value=86400),
        st.sampled_from([1, 2]),
        st.sampled_from(CATEGORY_VALUES),
    ),
    max_size=40,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(drawn=events, edges=st.lists(st.integers(0, public_log.WEEKS_SHOWN + 1), max_size=4))
def test_weekly_counts_match_a_count_event_by_event(session, community, drawn, edges):
    monday = public_log.week_start(NOW)
    # Another community's events carry another id (1: this one, 2: another).
    rows = [
        (action, NOW + timedelta(seconds=s), community.id + which - 1, category)
        for action, s, which, category in drawn
    ]
    # Events exactly on a week's first second, and on the last second before it: this
    # week's, the last week's, the oldest week's shown and the one before it, and others.
    for n, back in enumerate([0, 1, public_log.WEEKS_SHOWN, public_log.WEEKS_SHOWN + 1, *edges]):
        edge = monday - back * timedelta(days=7)
        rows.append(("moderation.hidden", edge, community.id, CATEGORY_VALUES[n % 5]))
        rows.append(("moderation.warned", edge - timedelta(seconds=1), community.id, None))
    session.add_all(
        AuditEvent(
            action=action,
            created_at=when,
            details={"community_id": cid, **({"category": cat} if cat else {})},
        )
        for action, when, cid, cat in rows
    )
    session.commit()
    try:
        assert shown(public_log.weekly(session, community.id, now=NOW)) == reference(
            rows, community.id, NOW
        )
    finally:
        session.execute(delete(AuditEvent))
        session.commit()


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_a_week_starts_on_the_monday_before(when):
    when = when.replace(tzinfo=UTC)
    start = public_log.week_start(when)
    assert start.weekday() == 0 and (start.hour, start.minute, start.second) == (0, 0, 0)
    assert start <= when < start + timedelta(days=7)


def test_a_week_shows_from_the_tuesday_after_it(session, community):
    """A decision recorded on Sunday evening may be committed after midnight, or
    by a host whose clock is behind: the week waits a day before it first shows."""
    sunday = datetime(2026, 12, 6, 23, 59, 59, tzinfo=UTC)
    session.add(
        AuditEvent(
            action="moderation.hidden",
            created_at=sunday,
            details={"community_id": community.id, "category": "spam"},
        )
    )
    session.commit()
    try:
        monday_noon = datetime(2026, 12, 7, 12, tzinfo=UTC)
        tuesday = datetime(2026, 12, 8, tzinfo=UTC)
        assert public_log.weekly(session, community.id, now=monday_noon) == []
        assert public_log.weekly(session, community.id, now=tuesday - timedelta(seconds=1)) == []
        shown_then = public_log.weekly(session, community.id, now=tuesday)
        assert [week.starts for week in shown_then] == [public_log.week_start(sunday)]
    finally:
        session.execute(delete(AuditEvent))
        session.commit()
