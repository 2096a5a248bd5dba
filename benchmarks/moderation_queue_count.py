"""The moderation queue's size on a community's page, for its moderator: built as the
whole queue (every flagged item with its author's full history) and counted, against
counted by one query.

    .venv/bin/python benchmarks/moderation_queue_count.py [--authors 30] [--repeat 7]

A fresh SQLite instance gets two communities; each author has a question in the first
with two comments that three members flagged (so the queue lists two items per author)
and three earlier decisions in the second, which their histories read. Each repeat
times, interleaved (A B A B ...) so that the machine's drift falls on both alike: the
count alone, both ways, and the whole community page, both ways (the page's count
swapped back for the whole queue). Medians and ratios are printed.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "correct horse battery staple"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--authors", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    from flask_login import current_user

    from portal import create_app, db
    from portal.accounts.models import User
    from portal.accounts.services import register_user
    from portal.community import services, trust
    from portal.community.moderation import decisions
    from portal.community.moderation import services as moderation
    from portal.community.questions import services as questions
    from portal.community.threads import services as threads
    from portal.migrate import upgrade

    instance = Path(tempfile.mkdtemp(prefix="queue-count-"))
    try:
        app = create_app(
            {
                "INSTANCE_PATH": str(instance),
                "DATABASE_URL": f"sqlite:///{instance / 'portal.db'}",
                "RATELIMIT_ENABLED": False,
                "PAGE_CACHE_SECONDS": 0,
            }
        )
        with app.app_context():
            upgrade(app, "head")
            session = db.session()

            def user(name: str) -> User:
                return register_user(
                    session,
                    username=name,
                    email=f"{name}@example.org",
                    password=PASSWORD,
                    confirmed=True,
                    check_strength=False,
                )

            here = services.create_community(
                session, slug="colon-cancer", name="Colon cancer", condition="Colon cancer"
            )
            there = services.create_community(
                session, slug="tuberculosis", name="Tuberculosis", condition="Tuberculosis"
            )
            # Flaggers new to the site would reach the new accounts' daily limit.
            unlimited = trust.TrustPolicy(trusted_after_days=0, trusted_after_contributions=0)
            moderator = user("moira")
            flaggers = [user(f"flagger{n}") for n in range(3)]
            for place in (here, there):
                services.join(session, place, moderator, role="moderator")
                for flagger in flaggers:
                    services.join(session, place, flagger)
            session.commit()
            text = dict(
                population="Adults after surgery",
                intervention="Aspirin",
                comparator="Nothing",
                outcome="Recurrence at five years",
                rationale="Members ask whether it is worth it.",
            )
            for n in range(args.authors):
                author = user(f"author{n}")
                for place in (here, there):
                    services.join(session, place, author)
                asked = questions.propose(
                    session,
                    here,
                    author,
                    questions.QuestionText(title=f"Does aspirin help, case {n}?", **text),
                )
                for k in range(2):
                    comment = threads.add(session, asked, author, f"Advert {n}.{k}")
                    for flagger in flaggers:
                        moderation.flag(session, flagger, comment, reason="spam", limits=unlimited)
                earlier = questions.propose(
                    session,
                    there,
                    author,
                    questions.QuestionText(title=f"Is it latent, case {n}?", **text),
                )
                for k in range(3):
                    old = threads.add(session, earlier, author, f"Old {n}.{k}")
                    decisions.decide(session, moderator, old, "warn", reason="Earlier advert.")
                session.commit()
            community_id, moderator_id = here.id, moderator.id

        def whole_queue(db_session, cid: int) -> int:
            return len(moderation.queue(db_session, cid, current_user))

        counted = moderation.queue_size
        with app.test_request_context():
            from flask_login import login_user

            viewer = db.session().get(User, moderator_id)
            login_user(viewer)
            session = db.session()
            expected = 2 * args.authors
            assert whole_queue(session, community_id) == counted(session, community_id) == expected

            def count_whole() -> None:
                whole_queue(db.session(), community_id)

            def count_query() -> None:
                counted(db.session(), community_id)

            count_cases: dict[str, Callable[[], None]] = {
                "whole queue, len()": count_whole,
                "one query": count_query,
            }
            count_times = interleave(count_cases, args.repeat)

        client = app.test_client()
        login_page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page)
        assert token
        client.post(
            "/login", data={"csrf_token": token.group(1), "login": "moira", "password": PASSWORD}
        )

        def page() -> None:
            response = client.get("/communities/colon-cancer")
            assert f"Moderation queue ({2 * args.authors})" in response.get_data(as_text=True)

        def page_whole() -> None:
            moderation.queue_size = whole_queue  # type: ignore[assignment]
            try:
                page()
            finally:
                moderation.queue_size = counted

        page_cases: dict[str, Callable[[], None]] = {
            "page, whole queue": page_whole,
            "page, one query": page,
        }
        page_times = interleave(page_cases, args.repeat)

        print(
            f"moderation queue count, {2 * args.authors} items from {args.authors} authors, "
            f"median of {args.repeat} interleaved repeats"
        )
        for times in (count_times, page_times):
            names = list(times)
            slow, fast = (statistics.median(times[name]) for name in names)
            for name in names:
                print(f"  {name:<22} {statistics.median(times[name]) * 1000:9.2f} ms")
            print(f"  ratio {names[0]} / {names[1]}: {slow / fast:.1f}")
    finally:
        shutil.rmtree(instance, ignore_errors=True)


def interleave(cases: dict[str, Callable[[], None]], repeat: int) -> dict[str, list[float]]:
    for case in cases.values():  # warm: imports, templates, statement caches
        case()
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeat):
        for name, case in cases.items():
            started = time.perf_counter()
            case()
            times[name].append(time.perf_counter() - started)
    return times


if __name__ == "__main__":
    main()
