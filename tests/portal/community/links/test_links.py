"""Questions linked to the datasets that could answer them and to the analyses that did."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from datasets.metadata import DatasetMetadata
from portal.accounts.models import Role
from portal.community.links import datasets as dataset_links
from portal.community.links import runs as run_links
from portal.community.links.models import QuestionDataset, QuestionRun
from portal.community.notifications import services as notifications
from portal.community.notifications.models import Notification
from portal.community.questions import lifecycle
from portal.community.questions.models import Question
from portal.data import services as data
from portal.data.models import Dataset, DatasetVersion
from portal.db import utcnow
from portal.errors import Forbidden, ServiceError
from portal.reanalysis.models import AnalysisInput, AnalysisRun
from tests.portal.community.conftest import count, question_url, reload
from tests.portal.conftest import csrf_token

POOLED = {
    "measure": "OR",
    "scale": "log",
    "estimate": -0.5,
    "estimate_exp": 0.6065,
    "ci_low": -0.9,
    "ci_high": -0.1,
    "ci_low_exp": 0.4066,
    "ci_high_exp": 0.9048,
    "level": 0.95,
    "k": 4,
    "se": 0.2,
    "pvalue": 0.012,
    "statistic": -2.5,
    "statistic_name": "z",
    "model": "random-effects",
    "tau2": 0.01,
    "tau": 0.1,
    "i2": 12.0,
    "q": 3.4,
    "q_df": 3,
    "q_pvalue": 0.33,
    "pi_low": -1.0,
    "pi_high": 0.0,
    "pi_low_exp": 0.37,
    "pi_high_exp": 1.0,
    "studies": [],
    "notes": [],
}


def add_dataset(
    session, owner, title, *, tags=(), columns=(), description="About it.", published=True
) -> Dataset:
    dataset = data.create_dataset(
        session,
        owner,
        DatasetMetadata(
            title=title, description=description, licence="CC-BY-4.0", conditions=list(tags)
        ),
    )
    now = utcnow() if published else None
    dataset.published_at = now
    dataset.versions = [
        DatasetVersion(
            number=1,
            sha256="0" * 64,
            size_bytes=10,
            filename="data.csv",
            file_format="csv",
            schema=({"fields": [{"name": c, "type": "string"} for c in columns]}),
            report=({"valid": True, "row_count": 1, "column_count": len(columns)}),
            published_at=now,
        )
    ]
    session.commit()
    return dataset


def add_run(session, owner, dataset, title, *, status="finished") -> AnalysisRun:
    # The run page shows every section; the ones a link does not need say "not computed".
    skipped = {"unavailable": "not needed by this test"}
    results = {"pooled": POOLED, "egger": skipped, "leave_one_out": skipped}
    run = AnalysisRun(
        owner_id=owner.id,
        title=title,
        kind="participant",
        status=status,
        measure="OR",
        results=(results),
        finished_at=utcnow() if status == "finished" else None,
    )
    run.inputs = [AnalysisInput(version_id=dataset.versions[0].id, sha256="0" * 64)]
    session.add(run)
    session.commit()
    return run


@pytest.fixture
def cast(community, person, propose, session):
    """Sam's question on colon cancer, Ada the researcher, and three datasets: the colon
    trial (published), a tuberculosis trial (published) and Rita's unpublished draft."""
    sam = person("sam", member_of=(community,))
    ada = person("ada", role=Role.RESEARCHER)
    rita = person("rita", role=Role.RESEARCHER)
    question = propose(community, sam)
    colon = add_dataset(
        session,
        ada,
        "Adjuvant chemotherapy after colon cancer surgery",
        tags=("Colon cancer",),
        columns=("rx", "time_to_death", "nodes"),
        description="Levamisole plus fluorouracil against observation.",
    )
    tb = add_dataset(
        session,
        ada,
        "Streptomycin in pulmonary tuberculosis",
        tags=("Tuberculosis",),
        columns=("arm", "improved"),
    )
    draft = add_dataset(
        session,
        rita,
        "Unpublished colon cancer chemotherapy survival",
        tags=("Colon cancer",),
        published=False,
    )
    return sam, ada, rita, question, colon, tb, draft


def decide(client, question, dataset, decision, token=None):
    token = token or csrf_token(client, question_url(question))
    return client.post(
        question_url(question, f"/datasets/{dataset.id}"),
        data={"csrf_token": token, "decision": decision},
    )


def test_a_researcher_confirms_a_suggested_dataset_and_its_page_lists_the_question(
    cast, login, session, client
):
    sam, ada, rita, question, colon, tb, draft = cast
    researcher = login("ada")
    page = researcher.get(question_url(question)).get_data(as_text=True)
    suggested = page.split("Suggested by matching")[1].split("</ul>")[0]
    assert colon.title in suggested and "score" in suggested and "colon (" in suggested
    assert tb.title not in suggested, "a tuberculosis trial does not match a colon question"
    assert draft.title not in page, "another researcher's draft is not suggested"
    # members read the reason in words; the formula waits behind a disclosure
    how = page.split("<summary>How are they matched?</summary>")[1].split("</details>")[0]
    assert "idf = ln(1 + (N − n + 0.5) / (n + 0.5))" in how

    response = decide(researcher, question, colon, "confirmed")
    assert response.status_code == 303
    link = session.scalar(select(QuestionDataset))
    assert (link.dataset_id, link.decision, link.decided_by_id) == (colon.id, "confirmed", ada.id)
    assert link.decided_at is not None and link.score > 1 and "colon" in link.matched
    page = client.get(question_url(question)).get_data(as_text=True)
    confirmed = page.split("Datasets that could answer it")[1].split("Suggested")[0]
    assert colon.title in confirmed and "confirmed by" in confirmed
    dataset_page = client.get(f"/datasets/{colon.slug}").get_data(as_text=True)
    assert "Research questions it could answer" in dataset_page
    assert question.title in dataset_page


def test_a_rejected_dataset_is_not_suggested_again_and_deciding_again_replaces(
    cast, login, session
):
    sam, ada, rita, question, colon, tb, draft = cast
    researcher = login("ada")
    decide(researcher, question, colon, "rejected")
    page = researcher.get(question_url(question)).get_data(as_text=True)
    assert "Rejected by researchers (1)" in page
    assert colon.title not in page.split("Suggested by matching")[-1].split("Rejected")[0]
    decide(researcher, question, colon, "confirmed")
    assert count(session, QuestionDataset) == 1
    assert session.scalar(select(QuestionDataset.decision)) == "confirmed"


def test_one_decision_per_question_and_dataset_is_enforced_by_the_database(cast, session):
    sam, ada, rita, question, colon, tb, draft = cast
    session.add(
        QuestionDataset(
            question_id=question.id, dataset_id=colon.id, decision="confirmed", decided_by_id=ada.id
        )
    )
    session.commit()
    session.add(
        QuestionDataset(
            question_id=question.id, dataset_id=colon.id, decision="rejected", decided_by_id=ada.id
        )
    )
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


@pytest.mark.parametrize(
    "who, token, expected",
    [
        ("sam", "good", 403),  # members do not decide
        ("ada", "forged", 400),  # a forged CSRF token: refused, nothing written
    ],
)
def test_only_researchers_decide_and_only_with_a_valid_form(
    cast, login, session, who, token, expected
):
    *_, question, colon, tb, draft = cast
    client = login(who)
    good = csrf_token(client, question_url(question))
    response = decide(client, question, colon, "confirmed", good if token == "good" else "x")
    assert response.status_code == expected
    assert count(session, QuestionDataset) == 0


def test_datasets_the_viewer_may_not_see_are_neither_linked_nor_listed(
    cast, session, client, person, login
):
    sam, ada, rita, question, colon, tb, draft = cast
    with pytest.raises(ServiceError, match="not visible"):
        dataset_links.decide(session, question, draft, ada, "confirmed")
    session.rollback()
    # Rita may link her own draft; nobody else sees the link until it is published.
    dataset_links.decide(session, question, draft, rita, "confirmed")
    session.commit()
    assert draft.title not in client.get(question_url(question)).get_data(as_text=True)
    assert draft.title in login("rita").get(question_url(question)).get_data(as_text=True)
    assert dataset_links.confirmed(session, question, None) == []


def test_hidden_questions_are_not_listed_on_dataset_pages(cast, session, client):
    sam, ada, rita, question, colon, tb, draft = cast
    dataset_links.decide(session, question, colon, ada, "confirmed")
    question.hidden = True
    session.commit()
    assert question.title not in client.get(f"/datasets/{colon.slug}").get_data(as_text=True)
    assert dataset_links.questions_for(session, colon) == []


def to_analysis(session, question, ada):
    lifecycle.record_review(session, question, ada, verdict="not_answered", citations="", note="")
    lifecycle.start_analysis(session, question, ada)
    session.commit()


def test_a_researcher_answers_with_analysis_runs_and_followers_are_told(
    cast, login, session, client
):
    sam, ada, rita, question, colon, tb, draft = cast
    run = add_run(session, ada, colon, "Levamisole pooled across centres")
    to_analysis(session, question, ada)
    researcher = login("ada")
    token = csrf_token(researcher, question_url(question))
    page = researcher.get(question_url(question)).get_data(as_text=True)
    assert f'value="{run.id}"' in page, "the answer form offers the researcher's runs"
    response = researcher.post(
        question_url(question, "/answer"),
        data={"csrf_token": token, "runs": [str(run.id)], "note": "Survival improved."},
    )
    assert response.status_code == 303
    question = reload(session, Question, question.id)
    assert question.status == "answered" and question.answer_note == "Survival improved."
    link = session.scalar(select(QuestionRun))
    assert (link.run_id, link.role, link.linked_by_id) == (run.id, "answer", ada.id)
    messages = session.scalars(
        select(Notification.message).where(Notification.user_id == sam.id)
    ).all()
    assert messages[-1] == f"Answered: {question.title} — by {run.title}"
    page = client.get(question_url(question)).get_data(as_text=True)
    answer = page.split("<h3>Answer</h3>")[1].split("</div>")[0]
    assert run.title in answer and "OR 0.607 (95% CI 0.407 to 0.905), 4 studies" in answer
    run_page = client.get(f"/analyses/{run.id}").get_data(as_text=True)
    assert question.title in run_page and "answered by this analysis" in run_page


@pytest.mark.parametrize("problem", ["unfinished", "invisible", "missing"])
def test_only_finished_runs_the_researcher_may_see_can_answer(cast, login, session, problem):
    sam, ada, rita, question, colon, tb, draft = cast
    owner, status = (rita, "draft") if problem == "invisible" else (ada, "running")
    run = add_run(session, owner, colon, "A run", status=status)
    to_analysis(session, question, ada)
    researcher = login("ada")
    run_id = run.id + 100 if problem == "missing" else run.id
    researcher.post(
        question_url(question, "/answer"),
        data={
            "csrf_token": csrf_token(researcher, question_url(question)),
            "runs": [str(run_id)],
            "note": "Answer",
        },
    )
    assert reload(session, Question, question.id).status == "in_analysis"
    assert count(session, QuestionRun) == 0


def test_analyses_run_for_a_question_are_listed_and_followers_told(cast, login, session, client):
    sam, ada, rita, question, colon, tb, draft = cast
    notifications.watch(session, question, sam)
    run = add_run(session, ada, colon, "First look at the colon data")
    private = add_run(session, ada, colon, "Unfinished draft by Ada", status="draft")
    researcher = login("ada")
    token = csrf_token(researcher, question_url(question))
    for linked in (run, run):
        researcher.post(
            question_url(question, "/runs"), data={"csrf_token": token, "run_id": str(linked.id)}
        )
    run_links.link_analysis(session, question, private, ada)
    session.commit()
    assert count(session, QuestionRun) == 2, "linking twice keeps one link"
    told = session.scalars(select(Notification.message).where(Notification.user_id == sam.id)).all()
    assert told.count(f"An analysis was run for “{question.title}”: {run.title}") == 1
    public = client.get(question_url(question)).get_data(as_text=True)
    listed = public.split("Analyses run for it")[1].split("</section>")[0]
    assert run.title in listed and "OR 0.607" in listed
    assert private.title not in public, "a draft run stays its owner's"
    assert private.title in researcher.get(question_url(question)).get_data(as_text=True)
    assert "analysis run for it" in client.get(f"/analyses/{run.id}").get_data(as_text=True)


def test_members_cannot_link_runs_and_closed_questions_take_none(cast, session, person, community):
    sam, ada, rita, question, colon, tb, draft = cast
    run = add_run(session, ada, colon, "A run")
    with pytest.raises(Forbidden):
        run_links.link_analysis(session, question, run, sam)
    moira = person("moira", moderator_of=(community,))
    lifecycle.close(session, question, moira, reason="Out of scope")
    with pytest.raises(ServiceError, match="not closed"):
        run_links.link_analysis(session, question, run, ada)
    session.rollback()
    assert count(session, QuestionRun) == 0


def test_one_link_per_question_and_run_is_enforced_by_the_database(cast, session):
    sam, ada, rita, question, colon, tb, draft = cast
    run = add_run(session, ada, colon, "A run")
    session.add(QuestionRun(question_id=question.id, run_id=run.id, role="analysis"))
    session.commit()
    session.add(QuestionRun(question_id=question.id, run_id=run.id, role="answer"))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_the_community_page_lists_its_questions_datasets_and_analyses(cast, session, client):
    sam, ada, rita, question, colon, tb, draft = cast
    empty = client.get("/communities/colon-cancer").get_data(as_text=True)
    assert "No dataset or analysis is linked to this community" in empty
    dataset_links.decide(session, question, colon, ada, "confirmed")
    run = add_run(session, ada, colon, "Levamisole pooled across centres")
    draft_run = add_run(session, ada, colon, "Unfinished draft by Ada", status="draft")
    run_links.link_analysis(session, question, run, ada)
    run_links.link_analysis(session, question, draft_run, ada)
    session.commit()
    page = client.get("/communities/colon-cancer").get_data(as_text=True)
    resources = page.split('id="resources-heading"')[1].split("</section>")[0]
    assert colon.title in resources and run.title in resources and "OR 0.607" in resources
    assert draft_run.title not in resources and tb.title not in resources


def test_the_analyses_offered_for_a_question_are_those_that_match_it(cast, session, login):
    """A colon-cancer question was offered the newest runs, aspirin after a heart attack
    first; the runs on matching data come first now, and those of its community before."""
    sam, ada, _, question, colon, tb, _ = cast
    on_colon = add_run(session, ada, colon, "Colon cancer: chemotherapy and survival")
    add_run(session, ada, tb, "Streptomycin and tuberculosis")
    offered = run_links.choices(session, ada, question)
    assert offered[0].id == on_colon.id
    # an unrelated run linked to another of the community's questions comes first
    other = add_run(session, ada, tb, "Aspirin after heart attack")
    session.add(QuestionRun(question_id=question.id, run_id=other.id, role="analysis"))
    session.commit()
    assert [r.id for r in run_links.choices(session, ada, question)][:2] == [other.id, on_colon.id]
