"""Demo treatment lists and synthetic reports for the demo communities.

The reports are invented and say so: they come from accounts named
"synthetic-demo-N" ("Synthetic demo member N") that exist only to show the charts,
and their numbers are drawn from a seeded random generator, not from anyone's
experience. Loading twice changes nothing: treatments are matched by name, accounts
by username, and a synthetic member's report is added only when missing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.community import services as communities
from portal.community.models import Community
from portal.db import utcnow
from portal.treatments import aggregates, releases, services
from portal.treatments.models import Treatment, TreatmentKind, TreatmentReport, TreatmentStatus

SYNTHETIC_MEMBERS = 25
SYNTHETIC_PREFIX = "synthetic-demo-"
DRUG, OTHER = TreatmentKind.DRUG.value, TreatmentKind.NON_DRUG.value

# (name, kind, dose, synthetic reporters, mean rating -1..3, likely side effects).
# Reporters come in fives: figures are released every five changed reports, and a
# few treatments stay below k to show what members then see.
LISTS: dict[str, list[tuple[str, str, str, int, float, tuple[str, ...]]]] = {
    "colon-cancer": [
        (
            "Fluorouracil (5-FU)",
            DRUG,
            "as prescribed in cycles",
            20,
            1.6,
            ("fatigue", "nausea", "mouth sores", "diarrhoea"),
        ),
        (
            "Levamisole",
            DRUG,
            "50 mg three times a day, 3 days every 2 weeks",
            15,
            0.8,
            ("nausea", "metallic taste", "fatigue"),
        ),
        ("Capecitabine", DRUG, "as prescribed", 15, 1.9, ("hand-foot syndrome", "diarrhoea")),
        ("Walking programme", OTHER, "", 25, 1.7, ("sore legs",)),
        ("Ginger for nausea", OTHER, "", 3, 1.0, ()),
    ],
    "primary-biliary-cholangitis": [
        (
            "Ursodeoxycholic acid (UDCA)",
            DRUG,
            "13-15 mg/kg a day",
            25,
            1.9,
            ("weight gain", "hair thinning", "diarrhoea"),
        ),
        ("Obeticholic acid", DRUG, "5 mg a day", 15, 1.4, ("itching",)),
        (
            "Cholestyramine for itching",
            DRUG,
            "4 g up to four times a day",
            15,
            1.1,
            ("bloating", "constipation"),
        ),
        ("Cool showers for itching", OTHER, "", 20, 0.6, ()),
        ("D-penicillamine", DRUG, "as prescribed", 2, 0.0, ("rash",)),
    ],
    "tuberculosis": [
        ("Streptomycin", DRUG, "as prescribed", 15, 2.0, ("hearing loss", "dizziness")),
        ("Isoniazid", DRUG, "300 mg a day", 25, 2.3, ("tingling", "nausea")),
        ("Rifampicin", DRUG, "600 mg a day", 20, 2.4, ("orange urine", "nausea")),
        ("Vitamin D supplements", DRUG, "1000 IU a day", 4, 0.4, ()),
    ],
    "smoking-cessation": [
        (
            "Nicotine patch",
            DRUG,
            "21 mg a day, stepping down",
            25,
            1.6,
            ("skin irritation", "vivid dreams"),
        ),
        ("Nicotine gum", DRUG, "2 mg as needed", 20, 1.2, ("jaw ache", "hiccups")),
        ("Varenicline", DRUG, "1 mg twice a day", 15, 2.1, ("nausea", "vivid dreams")),
        ("E-cigarettes", OTHER, "", 25, 1.8, ("cough",)),
        ("Quitting cold turkey", OTHER, "", 15, 0.7, ("irritability", "insomnia")),
        ("Hypnotherapy", OTHER, "", 3, 0.2, ()),
    ],
    "multiple-sclerosis": [
        ("Interferon beta", DRUG, "as prescribed", 15, 1.0, ("flu-like symptoms", "fatigue")),
        ("Ocrelizumab", DRUG, "every 6 months", 15, 2.2, ("infusion reaction",)),
        ("Exercise programme", OTHER, "", 25, 1.8, ("fatigue",)),
        ("Vitamin D supplements", DRUG, "2000 IU a day", 20, 0.6, ()),
        ("Cooling vest", OTHER, "", 15, 1.3, ()),
        ("Gluten-free diet", OTHER, "", 15, -0.2, ("weight loss",)),
    ],
    "pancreatitis": [
        ("Rectal indometacin", DRUG, "100 mg once", 15, 1.5, ("abdominal pain",)),
        ("Aggressive IV fluids", OTHER, "", 15, 1.4, ("swelling",)),
        ("Low-fat diet", OTHER, "", 20, 1.1, ()),
        ("Pancreatic enzymes", DRUG, "with meals", 4, 1.6, ("bloating",)),
    ],
}

RATINGS = ("worse", "none", "slight", "moderate", "major")
REASONS = ("finished", "ineffective", "side-effects", "burden", "cost", "advice")


def _synthetic_members(db: Session, echo: Callable[[str], None], created: list[str]) -> list[User]:
    members = []
    for number in range(1, SYNTHETIC_MEMBERS + 1):
        username = f"{SYNTHETIC_PREFIX}{number}"
        user = db.scalar(select(User).where(User.username == username))
        if user is None:
            # Nobody signs in as a synthetic member: the account has no password.
            user = accounts.register_user(
                db,
                username=username,
                email=f"{username}@demo.invalid",
                password=None,
                display_name=f"Synthetic demo member {number}",
                confirmed=True,
            )
            created.append(f"user {username}")
            echo(f"  + synthetic user {username}")
        # Invented members are shown as established ones, so their reports count in
        # the figures the demo exists to show (portal.policy.trusted_accounts).
        user.created_at = min(user.created_at, utcnow() - timedelta(days=90))
        members.append(user)
    return members


def _report(
    rng: random.Random,
    treatment: Treatment,
    dose: str,
    mean: float,
    side_effects: tuple[str, ...],
    today: date,
) -> services.ReportInput:
    score = min(3, max(-1, round(rng.gauss(mean, 0.9))))
    started = today - timedelta(days=rng.randint(60, 900))
    stopped = started + timedelta(days=rng.randint(14, 400)) if rng.random() < 0.6 else None
    if stopped is not None and stopped >= today:
        stopped = None
    effects = [
        f"{name}: {rng.choice(('mild', 'mild', 'moderate', 'severe'))}"
        for name in side_effects
        if rng.random() < 0.45
    ]
    return services.ReportInput(
        treatment=treatment.id,
        started_on=started.isoformat(),
        stopped_on=stopped.isoformat() if stopped else "",
        dose=dose,
        effectiveness=RATINGS[score + 1],
        side_effects="\n".join(effects),
        adherence=rng.randint(2, 5),
        burden=rng.randint(1, 4),
        cost_band=rng.choice(("none", "low", "low", "medium", "high")),
        reason_stopped=rng.choice(REASONS) if stopped else "",
        consent_to_publish=rng.random() < 0.75,
    )


def load(
    db: Session, users: dict[str, User], echo: Callable[[str], None] = lambda _: None
) -> tuple[list[str], list[str]]:
    """Curated lists and synthetic reports; returns (created, kept) labels."""
    created: list[str] = []
    kept: list[str] = []
    floor = aggregates.floor()
    moderator = users["moira-moderator"]
    members = _synthetic_members(db, echo, created)
    today = utcnow().date()
    for slug, entries in LISTS.items():
        community = db.scalar(select(Community).where(Community.slug == slug))
        if community is None:
            continue
        for member in members:
            communities.join(db, community, member)
        rng = random.Random(f"treatments:{slug}")  # the same invented reports every time
        for name, kind, dose, reporters, mean, side_effects in entries:
            treatment = db.scalar(
                select(Treatment).where(
                    Treatment.community_id == community.id, Treatment.key == services.name_key(name)
                )
            )
            if treatment is None:
                communities.join(db, community, moderator, role="moderator")
                treatment = services.propose(db, community, moderator, name=name, kind=kind)
                created.append(f"treatment {slug}/{name}")
                echo(f"  + treatment {name} ({community.name})")
            else:
                kept.append(f"treatment {slug}/{name}")
            if treatment.status != TreatmentStatus.APPROVED.value:
                continue
            added = False
            reported = set(
                db.scalars(
                    select(TreatmentReport.user_id).where(
                        TreatmentReport.treatment_id == treatment.id
                    )
                )
            )
            for member in members[:reporters]:
                # Drawn for every member, reported or not, so the invented reports stay
                # the same whatever was loaded before.
                data = _report(rng, treatment, dose, mean, side_effects, today)
                if member.id not in reported:
                    # One release for the whole batch: refreshing after each of the
                    # ~500 reports made this the slowest step of the demo.
                    services.create_report(
                        db, community, member, data, today=today, floor=floor, release=False
                    )
                    added = True
            if added:
                releases.refresh(db, treatment, floor)
    return created, kept


def has_synthetic_reports(db: Session, community: Community) -> bool:
    """Whether the community's aggregates include invented demo reports (pages say so)."""
    return (
        db.scalar(
            select(TreatmentReport.id)
            .join(Treatment)
            .join(User, User.id == TreatmentReport.user_id)
            .where(
                Treatment.community_id == community.id, User.username.like(f"{SYNTHETIC_PREFIX}%")
            )
            .limit(1)
        )
        is not None
    )
