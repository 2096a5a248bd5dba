"""Demo content for a fresh portal: communities that fit the demo data, and accounts.

Loading is idempotent: what exists (matched by slug or username) is left alone, so
running ``make run`` again keeps the data people have added.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts import services as accounts
from portal.accounts.models import Role, User
from portal.community import demo as community_demo
from portal.community import services as communities
from portal.community.models import Community
from portal.community.support import demo as support_demo
from portal.treatments import demo as treatment_demo

DEFAULT_DEMO_PASSWORD = "open-research-demo"

COMMUNITIES = [
    (
        "colon-cancer",
        "Colon cancer",
        "Colon cancer",
        "Patients, carers and clinicians interested in the treatment of colon cancer, "
        "including adjuvant chemotherapy after surgery.",
    ),
    (
        "primary-biliary-cholangitis",
        "Primary biliary cholangitis",
        "Primary biliary cholangitis",
        "A community for primary biliary cholangitis (formerly cirrhosis), a chronic liver "
        "disease studied in the Mayo Clinic D-penicillamine and the UDCA trials.",
    ),
    (
        "tuberculosis",
        "Tuberculosis",
        "Pulmonary tuberculosis",
        "Tuberculosis treatment and prevention, from the 1948 streptomycin trial to BCG "
        "vaccination.",
    ),
    (
        "smoking-cessation",
        "Smoking cessation",
        "Tobacco dependence",
        "Quitting smoking: nicotine replacement and other ways to stop.",
    ),
    (
        "multiple-sclerosis",
        "Multiple sclerosis",
        "Multiple sclerosis",
        "People living with MS and those who care for and treat them.",
    ),
    (
        "pancreatitis",
        "Pancreatitis",
        "Post-ERCP pancreatitis",
        "Preventing pancreatitis after endoscopic procedures (ERCP).",
    ),
]

USERS = [
    ("demo-admin", "admin@demo.invalid", "Demo Admin", Role.ADMIN),
    ("ada-researcher", "ada@demo.invalid", "Ada (researcher)", Role.RESEARCHER),
    ("moira-moderator", "moira@demo.invalid", "Moira (moderator)", Role.MODERATOR),
    ("sam-member", "sam@demo.invalid", "Sam", Role.MEMBER),
    ("priya-member", "priya@demo.invalid", "Priya", Role.MEMBER),
]


@dataclass
class DemoReport:
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    password: str = ""

    def summary(self) -> str:
        lines = [f"Demo content: {len(self.created)} created, {len(self.kept)} already present."]
        if any(item.startswith("user ") for item in self.created):
            lines.append(
                f"Demo accounts (password '{self.password}'): " + ", ".join(u for u, *_ in USERS)
            )
        return "\n".join(lines)


def load(
    db: Session, *, password: str | None = None, echo: Callable[[str], None] = lambda _: None
) -> DemoReport:
    report = DemoReport(password=password or DEFAULT_DEMO_PASSWORD)
    users: dict[str, User] = {}
    # The accounts share one password, so they share its hash: each hash takes a
    # deliberate fifth of a second of CPU.
    shared_hash: str | None = None
    for username, email, display_name, role in USERS:
        user = db.scalar(select(User).where(User.username == username))
        if user is None:
            user = accounts.register_user(
                db,
                username=username,
                email=email,
                password=report.password if shared_hash is None else None,
                display_name=display_name,
                role=role,
                # The demo's password is published, so no policy would accept it; the
                # demo refuses to load in production.
                confirmed=True,
                check_strength=False,
            )
            if shared_hash is None:
                shared_hash = user.password_hash
            else:
                user.password_hash = shared_hash
            report.created.append(f"user {username}")
            echo(f"  + user {username} ({role.value})")
        else:
            report.kept.append(f"user {username}")
        users[username] = user

    for slug, name, condition, description in COMMUNITIES:
        community = db.scalar(select(Community).where(Community.slug == slug))
        if community is None:
            community = communities.create_community(
                db, slug=slug, name=name, condition=condition, description=description
            )
            report.created.append(f"community {slug}")
            echo(f"  + community {name}")
            communities.join(
                db, community, users["moira-moderator"], role="moderator", visible=True
            )
            for member in ("sam-member", "priya-member", "ada-researcher"):
                communities.join(db, community, users[member])
        else:
            report.kept.append(f"community {slug}")

    questions = community_demo.load(db, users, echo)
    report.created += questions.created
    report.kept += questions.kept
    created, kept = treatment_demo.load(db, users, echo)
    report.created += created
    report.kept += kept
    created, kept = support_demo.load(db, users, echo)
    report.created += created
    report.kept += kept
    return report
