"""Demo questions, discussions, support and a prioritisation round for the demo communities.

Called by portal.demo.load after the demo accounts and communities exist. Matched by
title, so loading twice changes nothing; support, comments and lifecycle steps are
added only together with a question that is new. Everything goes through the same
services as the web pages (with the new-account limits lifted: the demo accounts
are minutes old).

``link_data`` runs later, once the demo datasets and analyses exist (see
portal/commands.py): it confirms the datasets that could answer some questions and
answers the indomethacin question with the demo analysis pooled across centres.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.community import trust
from portal.community.links import datasets as dataset_links
from portal.community.links.models import LinkDecision, QuestionDataset, QuestionRun
from portal.community.models import Community
from portal.community.questions import lifecycle, votes
from portal.community.questions import services as questions
from portal.community.questions.models import Question
from portal.community.rounds import services as rounds
from portal.community.rounds.models import PriorityRound
from portal.community.threads import services as threads
from portal.data.models import Dataset
from portal.db import utcnow
from portal.reanalysis.models import AnalysisRun, RunStatus

DEMO_POLICY = trust.TrustPolicy(
    new_account_questions_per_day=10_000,
    new_account_comments_per_hour=10_000,
    new_account_flags_per_day=10_000,
)


@dataclass
class DemoQuestion:
    key: str
    community: str
    author: str
    title: str
    population: str
    intervention: str
    comparator: str
    outcome: str
    rationale: str
    days_ago: int
    supporters: tuple[str, ...] = ()
    # (author, body, key of the comment it replies to or None, own key)
    comments: tuple[tuple[str, str, str | None, str], ...] = ()
    steps: tuple[
        Callable[[Session, Question, dict[str, User], dict[str, Question]], None], ...
    ] = ()


def _review(verdict: str, citations: str, note: str):
    def step(db, question, users, _):
        lifecycle.record_review(
            db, question, users["ada-researcher"], verdict=verdict, citations=citations, note=note
        )

    return step


def _analysis(db, question, users, _):
    lifecycle.start_analysis(db, question, users["ada-researcher"])


def _answered_by_demo_analysis(db, question, users, _):
    lifecycle.mark_answered(
        db,
        question,
        users["ada-researcher"],
        url="/analyses/",
        note="Demo answer: in the re-analysis of the colon trial data, patients given "
        "levamisole plus fluorouracil had longer recurrence-free survival than those "
        "observed. The demo has no analysis run of the colon data, so this answer is "
        "a note and a link to the Analyses section rather than a linked run.",
    )


def _duplicate_of(key: str):
    def step(db, question, users, by_key):
        lifecycle.close(
            db,
            question,
            users["moira-moderator"],
            reason="Asks the same thing as an earlier question.",
            duplicate_of=by_key[key],
        )

    return step


QUESTIONS = [
    DemoQuestion(
        "colon-lev5fu",
        "colon-cancer",
        "sam-member",
        "Does levamisole plus fluorouracil after surgery improve survival in stage III "
        "colon cancer?",
        "Adults after complete resection of stage III colon cancer",
        "Levamisole plus fluorouracil for one year",
        "Observation after surgery",
        "Recurrence and overall survival at five years",
        "It decides whether a year of chemotherapy is offered after surgery.",
        days_ago=40,
        supporters=("sam-member", "priya-member", "ada-researcher", "moira-moderator"),
        comments=(
            (
                "ada-researcher",
                "The demo analysis pooled the trial arms: see "
                "[[dataset:colon]] and the [Analyses](/analyses/) section.",
                None,
                "a",
            ),
        ),
        steps=(
            _review(
                "partly",
                "Moertel CG, Fleming TR, Macdonald JS, et al. Levamisole and "
                "fluorouracil for adjuvant therapy of resected colon carcinoma. N Engl "
                "J Med 1990;322:352-358.",
                "The trial answers it for its population; the portal re-analyses the open data.",
            ),
            _analysis,
            _answered_by_demo_analysis,
        ),
    ),
    DemoQuestion(
        "colon-lev",
        "colon-cancer",
        "priya-member",
        "Is levamisole alone any better than observation after colon cancer surgery?",
        "Adults after resection of stage II or III colon cancer",
        "Levamisole alone",
        "Observation",
        "Recurrence-free survival",
        "If levamisole alone does nothing, patients can be spared its side effects.",
        days_ago=20,
        supporters=("priya-member", "sam-member"),
    ),
    DemoQuestion(
        "colon-nodes",
        "colon-cancer",
        "ada-researcher",
        "Do people with more than four positive lymph nodes benefit more from adjuvant "
        "chemotherapy?",
        "Adults with stage III colon cancer, by number of positive lymph nodes",
        "Adjuvant chemotherapy",
        "Observation",
        "Overall survival at five years",
        "Knowing who benefits most would help patients and doctors weigh the side effects.",
        days_ago=6,
        supporters=("ada-researcher", "moira-moderator", "sam-member"),
        comments=(
            (
                "ada-researcher",
                "The trial recorded the number of positive nodes, so the "
                "pooled data can answer this: [[dataset:colon]].",
                None,
                "a",
            ),
            ("sam-member", "This is *exactly* what patients ask in clinic.", "a", "b"),
            (
                "moira-moderator",
                "Thanks, Sam. A reminder to everyone: please keep personal "
                "health details out of public comments.",
                "b",
                "c",
            ),
            ("priya-member", "Could we look at **recurrence** as well as survival?", None, "d"),
        ),
    ),
    DemoQuestion(
        "colon-obstruction",
        "colon-cancer",
        "sam-member",
        "Does a tumour that blocked the bowel change the benefit of chemotherapy after surgery?",
        "Adults with stage III colon cancer that caused bowel obstruction",
        "Adjuvant chemotherapy",
        "Observation",
        "Recurrence within five years",
        "Obstruction is common and often means a worse outlook; does treatment help more?",
        days_ago=3,
        supporters=("priya-member",),
    ),
    DemoQuestion(
        "colon-qol",
        "colon-cancer",
        "priya-member",
        "How much do the side effects of adjuvant chemotherapy affect quality of life in "
        "the first year?",
        "Adults receiving chemotherapy after colon cancer surgery",
        "Adjuvant chemotherapy",
        "No chemotherapy",
        "Quality of life over the first year",
        "Patients and carers need to know what the year of treatment will be like.",
        days_ago=1,
        supporters=("priya-member", "sam-member", "moira-moderator"),
    ),
    DemoQuestion(
        "pbc-penicillamine",
        "primary-biliary-cholangitis",
        "sam-member",
        "Does D-penicillamine prolong survival in primary biliary cholangitis?",
        "Adults with primary biliary cholangitis",
        "D-penicillamine",
        "Placebo",
        "Survival and time to liver transplantation",
        "The Mayo Clinic trial data are open; the answer matters for older treatment advice.",
        days_ago=30,
        supporters=("sam-member", "ada-researcher"),
        steps=(
            _review(
                "answered",
                "Gong Y, Klingenberg SL, Gluud C. D-penicillamine for "
                "primary biliary cirrhosis. Cochrane Database Syst Rev "
                "2004;(4):CD004789.",
                "A systematic review found no benefit on mortality and more adverse events.",
            ),
        ),
    ),
    DemoQuestion(
        "pbc-udca",
        "primary-biliary-cholangitis",
        "priya-member",
        "Does ursodeoxycholic acid delay the need for liver transplantation?",
        "Adults with primary biliary cholangitis",
        "Ursodeoxycholic acid",
        "Placebo",
        "Time to liver transplantation or death",
        "It is the first treatment most people are offered.",
        days_ago=8,
        supporters=("priya-member",),
    ),
    DemoQuestion(
        "tb-streptomycin",
        "tuberculosis",
        "ada-researcher",
        "Does streptomycin added to bed rest improve survival in pulmonary tuberculosis?",
        "Young adults with acute progressive pulmonary tuberculosis",
        "Streptomycin with bed rest",
        "Bed rest alone",
        "Death or radiological improvement at six months",
        "The first randomised trial asked this; its open data make a teaching re-analysis.",
        days_ago=15,
        supporters=("ada-researcher", "moira-moderator"),
        steps=(
            _review(
                "partly",
                "Medical Research Council. Streptomycin treatment of "
                "pulmonary tuberculosis. BMJ 1948;2:769-782.",
                "Answered in 1948; worth re-analysing with today's methods.",
            ),
            _analysis,
        ),
    ),
    DemoQuestion(
        "smoking-nrt",
        "smoking-cessation",
        "priya-member",
        "Does nicotine replacement therapy help people stay off cigarettes for a year?",
        "Adults who smoke and want to stop",
        "Nicotine replacement therapy",
        "Placebo or no treatment",
        "Not smoking twelve months later",
        "Short-term success is common; staying stopped is what matters.",
        days_ago=12,
        supporters=("priya-member", "moira-moderator"),
    ),
    DemoQuestion(
        "smoking-patches",
        "smoking-cessation",
        "sam-member",
        "Do nicotine patches help people quit smoking for good?",
        "Adults who smoke",
        "Nicotine patches",
        "No patches",
        "Quitting for good",
        "Patches are the most common help people try.",
        days_ago=2,
        supporters=("sam-member",),
        steps=(_duplicate_of("smoking-nrt"),),
    ),
    DemoQuestion(
        "ms-exercise",
        "multiple-sclerosis",
        "sam-member",
        "Does regular exercise reduce fatigue in people with multiple sclerosis?",
        "Adults with relapsing-remitting multiple sclerosis",
        "A supervised exercise programme",
        "Usual care",
        "Fatigue score after six months",
        "Fatigue is what stops many people with MS from working.",
        days_ago=4,
        supporters=("sam-member", "priya-member"),
    ),
    DemoQuestion(
        "pancreatitis-indomethacin",
        "pancreatitis",
        "ada-researcher",
        "Does rectal indomethacin prevent pancreatitis after ERCP?",
        "Adults at high risk of pancreatitis after ERCP",
        "Rectal indomethacin",
        "Placebo",
        "Post-ERCP pancreatitis within a week",
        "A cheap drug that prevents a painful, sometimes fatal complication would matter.",
        days_ago=9,
        supporters=("ada-researcher", "sam-member"),
    ),
]

ROUND_TITLE = "Colon cancer research priorities, 2026"
ROUND_QUESTIONS = ("colon-lev", "colon-nodes", "colon-obstruction", "colon-qol")
# Each participant's perspective and their order of importance (first matters most).
ROUND_PREFERENCES = {
    "sam-member": ("patient", ("colon-nodes", "colon-qol", "colon-obstruction", "colon-lev")),
    "priya-member": ("carer", ("colon-qol", "colon-nodes", "colon-lev", "colon-obstruction")),
    "ada-researcher": ("clinician", ("colon-nodes", "colon-obstruction", "colon-qol", "colon-lev")),
}


@dataclass
class Loaded:
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def _find(db: Session, community: Community, title: str) -> Question | None:
    return db.scalar(
        select(Question).where(Question.community_id == community.id, Question.title == title)
    )


def _add_question(
    db: Session,
    spec: DemoQuestion,
    community: Community,
    users: dict[str, User],
    by_key: dict[str, Question],
) -> Question:
    text = questions.QuestionText(
        spec.title,
        spec.population,
        spec.intervention,
        spec.comparator,
        spec.outcome,
        spec.rationale,
    )
    question = questions.propose(
        db,
        community,
        users[spec.author],
        text,
        limits=DEMO_POLICY,
        now=utcnow() - timedelta(days=spec.days_ago),
    )
    for name in spec.supporters:
        votes.support(db, question, users[name])
    comment_ids: dict[str, int] = {}
    for author, body, parent, own in spec.comments:
        comment = threads.add(
            db,
            question,
            users[author],
            body,
            parent_id=comment_ids.get(parent) if parent else None,
            limits=DEMO_POLICY,
        )
        comment_ids[own] = comment.id
    for step in spec.steps:
        step(db, question, users, by_key)
    return question


def _add_round(
    db: Session, community: Community, users: dict[str, User], by_key: dict[str, Question]
) -> None:
    ids = [by_key[key].id for key in ROUND_QUESTIONS]
    round_ = rounds.open_round(
        db,
        community,
        users["moira-moderator"],
        title=ROUND_TITLE,
        description="Which of these questions should the pooled colon cancer data answer "
        "first? Compare them two at a time.",
        question_ids=ids,
    )
    for name, (perspective, order) in ROUND_PREFERENCES.items():
        rounds.take_part(db, round_, users[name], perspective)
        for first, second in itertools.combinations(order, 2):
            # ``order`` lists the questions from most to least important to this person.
            rounds.compare(
                db,
                round_,
                users[name],
                first_id=by_key[first].id,
                second_id=by_key[second].id,
                winner_id=by_key[first].id,
            )


def load(db: Session, users: dict[str, User], echo: Callable[[str], None]) -> Loaded:
    loaded = Loaded()
    communities = {c.slug: c for c in db.scalars(select(Community))}
    by_key: dict[str, Question] = {}
    for spec in QUESTIONS:
        community = communities.get(spec.community)
        if community is None:
            continue
        existing = _find(db, community, spec.title)
        if existing is not None:
            by_key[spec.key] = existing
            loaded.kept.append(f"question {spec.key}")
            continue
        by_key[spec.key] = _add_question(db, spec, community, users, by_key)
        db.flush()
        loaded.created.append(f"question {spec.key}")
        echo(f"  + question {spec.title[:60]}")
    colon = communities.get("colon-cancer")
    if colon is None or not all(key in by_key for key in ROUND_QUESTIONS):
        return loaded
    exists = db.scalar(
        select(PriorityRound).where(
            PriorityRound.community_id == colon.id, PriorityRound.title == ROUND_TITLE
        )
    )
    if exists is not None:
        loaded.kept.append("round colon-2026")
    else:
        _add_round(db, colon, users, by_key)
        loaded.created.append("round colon-2026")
        echo(f"  + prioritisation round {ROUND_TITLE}")
    return loaded


# Question key -> titles of the demo datasets a researcher confirms could answer it.
DATASET_LINKS = {
    "colon-lev5fu": ("Adjuvant levamisole and fluorouracil after resection of colon cancer",),
    "colon-nodes": ("Adjuvant levamisole and fluorouracil after resection of colon cancer",),
    "pbc-penicillamine": ("Mayo Clinic trial of D-penicillamine in primary biliary cholangitis",),
    "pbc-udca": ("Ursodeoxycholic acid in primary biliary cirrhosis",),
    "tb-streptomycin": ("MRC trial of streptomycin for pulmonary tuberculosis (1948)",),
    "pancreatitis-indomethacin": ("Rectal indomethacin to prevent post-ERCP pancreatitis",),
}
ANSWERED_BY_RUN = (
    "pancreatitis-indomethacin",
    "Rectal indomethacin and post-ERCP pancreatitis: two-stage pooling across centres",
)
RUN_ANSWER_NOTE = (
    "Demo answer: pooled across the trial's centres, rectal indomethacin "
    "lowered the odds of pancreatitis after ERCP compared with placebo."
)


def _demo_question(db: Session, key: str) -> Question | None:
    spec = next(spec for spec in QUESTIONS if spec.key == key)
    community = db.scalar(select(Community).where(Community.slug == spec.community))
    return _find(db, community, spec.title) if community is not None else None


def link_data(db: Session, echo: Callable[[str], None] = lambda _: None) -> Loaded:
    """Confirm demo datasets for demo questions and answer one with a demo analysis run.

    Idempotent: a question that already has a decision on a dataset, or already has
    runs linked, is left alone. Missing datasets or runs are skipped quietly.
    """
    loaded = Loaded()
    ada = db.scalar(select(User).where(User.username == "ada-researcher"))
    if ada is None:
        return loaded
    for key, titles in DATASET_LINKS.items():
        question = _demo_question(db, key)
        for title in titles:
            dataset = db.scalar(select(Dataset).where(Dataset.title == title))
            if question is None or dataset is None:
                continue
            label = f"dataset link {key} -> {dataset.slug}"
            if db.scalar(
                select(QuestionDataset.id).where(
                    QuestionDataset.question_id == question.id,
                    QuestionDataset.dataset_id == dataset.id,
                )
            ):
                loaded.kept.append(label)
                continue
            dataset_links.decide(db, question, dataset, ada, LinkDecision.CONFIRMED.value)
            loaded.created.append(label)
            echo(f"  + {label}")
    key, run_title = ANSWERED_BY_RUN
    question = _demo_question(db, key)
    run = db.scalar(
        select(AnalysisRun).where(
            AnalysisRun.title == run_title, AnalysisRun.status == RunStatus.FINISHED
        )
    )
    if question is None or run is None:
        return loaded
    if db.scalar(select(QuestionRun.id).where(QuestionRun.question_id == question.id)):
        loaded.kept.append(f"answer {key}")
        return loaded
    if question.status == "proposed":
        lifecycle.record_review(
            db,
            question,
            ada,
            verdict="partly",
            citations="Elmunzer BJ et al. A randomized trial of rectal indomethacin to "
            "prevent post-ERCP pancreatitis. N Engl J Med 2012;366:1414-22.",
            note="One large trial; pooling its centres shows whether the effect holds "
            "across sites.",
        )
    if question.status == "under_review":
        lifecycle.start_analysis(db, question, ada)
    if question.status == "in_analysis":
        lifecycle.mark_answered(db, question, ada, note=RUN_ANSWER_NOTE, runs=[run])
        loaded.created.append(f"answer {key}")
        echo(f"  + answered {question.title[:50]} with analysis {run.id}")
    return loaded
