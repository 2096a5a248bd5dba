"""Published datasets to analyse, shared through the datasets pages as a researcher would."""

from __future__ import annotations

import re

import pytest

from portal.accounts.models import Role
from tests.portal.conftest import csrf_token
from tests.portal.data.conftest import DatasetActions

BCG_CSV = (
    "Study,BCGTB,BCGVacc,NoVaccTB,NoVacc,Latitude,Year,Allocation\n"
    "1,4,123,11,139,44,1948,random\n"
    "2,6,306,29,303,55,1949,random\n"
    "3,3,231,11,220,42,1960,random\n"
    "4,62,13598,248,12867,52,1977,random\n"
    "5,33,5069,47,5808,13,1973,alternate\n"
    "6,180,1541,372,1451,44,1953,alternate\n"
    "7,8,2545,10,629,19,1973,random\n"
    "8,505,88391,499,88391,13,1980,random\n"
    "9,29,7499,45,7277,27,1968,systematic\n"
    "10,17,1716,65,1665,42,1961,systematic\n"
    "11,186,50634,141,27338,18,1974,random\n"
    "12,5,2498,3,2341,33,1969,systematic\n"
    "13,27,16913,29,17854,33,1976,systematic\n"
)
BCG_COLUMNS = {"ai": "BCGTB", "n1i": "BCGVacc", "ci": "NoVaccTB", "n2i": "NoVacc"}
#: The BCG trials with column names the builder recognises (metafor's roles spelt out).
NAMED_CSV = BCG_CSV.replace(
    "Study,BCGTB,BCGVacc,NoVaccTB,NoVacc,", "study,events_treat,n_treat,events_ctrl,n_ctrl,"
)
NAMED_COLUMNS = {"ai": "events_treat", "n1i": "n_treat", "ci": "events_ctrl", "n2i": "n_ctrl"}
BCG_REML = {"estimate": -0.7145323483651012, "tau2": 0.3132433259808948}


def trial_csv(
    arms: tuple[str, str],
    outcomes: tuple[str, str],
    counts: tuple[int, int, int, int],
    extra: str = "",
) -> str:
    """Participant rows: events/total in the treatment arm, then in the control arm."""
    (treatment, control), (yes, no) = arms, outcomes
    rows, number = ["id,arm,outcome,score"], 0
    for arm, events, total in ((treatment, counts[0], counts[1]), (control, counts[2], counts[3])):
        for i in range(total):
            number += 1
            rows.append(f"{number},{arm},{yes if i < events else no},{(number * 7) % 13 + 0.5}")
    return "\n".join(rows) + "\n" + extra


@pytest.fixture
def app_config(app_config: dict) -> dict:
    """The invented participant-level trials analysed here are small enough that every
    row is unique on age and sex: the re-identification limits are tested in
    tests/security, not here."""
    return {**app_config, "REID_MIN_K": 1, "REID_MAX_UNIQUE_SHARE": 1.0}


class Sharing:
    """Upload and publish datasets as the researcher 'rita' (logged in on the client)."""

    def __init__(self, client, auth, make_user) -> None:
        self.client, self.auth = client, auth
        self.actions = DatasetActions(client)
        make_user("rita", role=Role.RESEARCHER)

    def share(self, title: str, csv: str, level: str = "aggregate", publish: bool = True) -> str:
        self.auth.login("rita")
        response = self.actions.upload(csv.encode(), filename="data.csv", title=title, level=level)
        job = self.actions.follow_job(response)
        assert job["state"] == "finished", job
        slug = job["result"]["dataset"]
        if publish:
            assert self.actions.publish(slug, 1).status_code == 303
        self.auth.logout()
        return slug

    def publish_version(self, slug: str, csv: str, number: int = 2) -> None:
        """Upload and publish the next version of ``slug`` as its owner would."""
        self.auth.login("rita")
        job = self.actions.follow_job(self.actions.upload_version(slug, csv.encode()))
        assert job["state"] == "finished", job
        assert self.actions.publish(slug, number).status_code == 303
        self.auth.logout()


@pytest.fixture
def sharing(client, auth, make_user) -> Sharing:
    return Sharing(client, auth, make_user)


@pytest.fixture
def bcg(sharing) -> str:
    return sharing.share("BCG trials", BCG_CSV)


def new_token(client, scope: str = "write") -> str:
    response = client.post(
        "/account/tokens",
        data={"csrf_token": csrf_token(client, "/account"), "name": "script", "scope": scope},
    )
    assert response.status_code == 200
    return re.search(r'class="hash new-token">(orp_[^<]+)<', response.get_data(as_text=True))[1]


@pytest.fixture
def member(make_user) -> str:
    """A plain member: any member may run analyses (tests log in after sharing data)."""
    make_user("moss")
    return "moss"
