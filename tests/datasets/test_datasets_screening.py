"""Screening for identifiers by column name and by content, without ever
echoing the sensitive values, and k-anonymity over marked columns."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datasets.errors import DatasetError
from datasets.reading import open_table
from datasets.screening import mask, screen


def screened(write, header: str, rows: list[str], **kw):
    return screen(write("s.csv", header + "\n" + "\n".join(rows) + "\n"), **kw)


def kinds(report):
    return {(f.column, f.kind, f.category, f.severity, f.evidence) for f in report.findings}


PEOPLE = [
    (
        "Alice Smith",
        "alice.smith@example.org",
        "+44 20 7946 0958",
        "12 Baker Street",
        "SW1A 1AA",
        "943 476 5919",
        "1950-03-14",
    ),
    (
        "Bob Jones",
        "bob@example.com",
        "020 7946 0000",
        "221B Baker Street",
        "EC1A 1BB",
        "401 023 2137",
        "1961-11-02",
    ),
    (
        "Carol White",
        "c.white@mail.example",
        "07700 900123",
        "5 High Road",
        "M1 1AE",
        "987 654 4321",
        "1972-07-21",
    ),
]


@pytest.fixture
def people(write) -> Path:
    lines = ["name,email,phone,address,postcode,nhs_number,dob,score"]
    for i, p in enumerate(PEOPLE * 4):
        lines.append(",".join(p) + f",{i}")
    return write("people.csv", "\n".join(lines) + "\n")


def test_direct_identifiers_by_name_and_content_block_publication(people):
    report = screen(people)
    found = {(f.column, f.kind): f for f in report.findings}
    for column, kind in [
        ("name", "name"),
        ("email", "email"),
        ("phone", "phone"),
        ("address", "street-address"),
        ("postcode", "postcode"),
        ("nhs_number", "national-id"),
        ("dob", "date-of-birth"),
    ]:
        f = found[(column, kind)]
        assert (f.category, f.severity) == ("direct", "block"), column
        assert f.count == 12 and f.rows[:3] == [2, 3, 4]
    assert found[("email", "email")].evidence == "column-name+content"
    assert found[("dob", "date-of-birth")].suggested_fix == {
        "fix": "dates_to_year",
        "column": "dob",
    }
    assert found[("postcode", "postcode")].suggested_fix["fix"] == "uk_outward_codes"
    assert report.blocking
    assert "score" not in {f.column for f in report.findings}


def test_sensitive_values_never_appear_in_the_report(people):
    text = json.dumps(screen(people).to_dict())
    for person in PEOPLE:
        for value in person:
            assert value not in text
    assert "A**** S****" in text


def test_content_alone_finds_identifiers_in_innocently_named_columns(write):
    names = [
        "Ann Lee",
        "Raj Patel",
        "Zoe Martin",
        "Tom O'Neill",
        "Eva De Vries",
        "Li Wei",
        "Sam Green",
        "Ola Nowak",
        "Kim Park",
    ]
    rows = [f"{i},see {p[1]} ,{p[4]},{p[3]},{names[i]}" for i, p in enumerate(PEOPLE * 3)]
    report = screened(write, "id,notes,area,where,who", rows)
    found = kinds(report)
    assert ("notes", "email", "direct", "block", "content") in found
    assert ("area", "postcode", "direct", "block", "content") in found
    assert ("where", "street-address", "direct", "block", "content") in found
    assert ("who", "name", "direct", "block", "content") in found


@pytest.mark.parametrize(
    ("header", "values", "kind"),
    [
        ("ref", ["123-45-6789", "987-65-4320"], "national-id"),
        ("ref", ["QQ 12 34 56 C", "AB123456D"], "national-id"),
        ("host", ["192.168.0.1", "10.0.0.254"], "ip-address"),
        ("seen", ["2020-01-05", "12/03/2019 at the clinic"], "full-date"),
    ],
)
def test_content_patterns(write, header, values, kind):
    report = screened(write, header, values * 3)
    assert (header, kind) in {(f.column, f.kind) for f in report.findings}


def test_category_labels_that_look_like_names_are_not_flagged(write):
    labels = ["Moderate Improvement", "No Change", "Considerable Deterioration"]
    report = screened(write, "response", [random.Random(i).choice(labels) for i in range(60)])
    assert report.findings == []


def test_plain_numbers_and_codes_are_not_identifiers(write):
    rows = [f"{1000 + i},{i % 7},{i * 1.5},{'A' if i % 2 else 'B'}" for i in range(100)]
    assert screened(write, "id,stage,bili,arm", rows).findings == []


def test_full_dates_are_direct_identifiers_with_a_days_fix(write):
    rows = [f"{i},2020-01-{i:02d},2020-03-{i:02d},2020" for i in range(1, 20)]
    report = screened(write, "id,randomisation_date,death_date,year", rows)
    fixes = {f.column: f.suggested_fix for f in report.findings if f.kind == "full-date"}
    assert fixes == {
        "randomisation_date": {"fix": "dates_to_year", "column": "randomisation_date"},
        "death_date": {
            "fix": "dates_to_days",
            "column": "death_date",
            "reference": "randomisation_date",
        },
    }
    assert "year" not in {f.column for f in report.findings}


def test_ages_over_89_block_and_age_is_a_quasi_identifier(write):
    report = screened(write, "age,sex", ["45,M", "90,F", "67,F", "101,M", "89,M"])
    over = next(f for f in report.findings if f.kind == "age-over-89")
    assert (over.count, over.rows, over.severity) == (2, [3, 5], "block")
    assert over.examples == ["9*", "1**"]
    assert report.suggested_quasi_identifiers == ["age", "sex"]


def test_three_character_postcodes_are_only_quasi_identifiers(write):
    report = screened(write, "zip,x", ["021,1", "100,2", "SW1,3"])
    assert kinds(report) == {("zip", "geography", "quasi", "warn", "column-name")}


def test_missing_values_are_not_evidence(write):
    report = screened(write, "email,x", ["NA,1", ",2"])
    assert report.findings == []


def test_k_anonymity_over_marked_columns(write):
    rows = ["M,30,A", "M,30,A", "M,30,B", "F,40,A", "F,40,A", "F,41,A", "NA,30,A"]
    report = screened(write, "sex,age,site", rows, quasi_identifiers=["sex", "age"], k=2)
    ka = report.k_anonymity
    assert (ka.classes, ka.min_class_size, ka.classes_below_k, ka.rows_in_classes_below_k) == (
        4,
        1,
        2,
        2,
    )
    assert ka.example_rows == [7, 8] and not ka.satisfied
    assert report.to_dict()["k_anonymity"]["satisfied"] is False


@settings(deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["M", "F", ""]), st.integers(20, 25)), min_size=1, max_size=80
    ),
    st.integers(1, 6),
)
def test_k_anonymity_matches_pandas_groupby(pairs, k):
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "k.csv"
        path.write_text("sex,age\n" + "".join(f"{s},{a}\n" for s, a in pairs))
        ka = screen(path, quasi_identifiers=["sex", "age"], k=k).k_anonymity
    sizes = pd.DataFrame(pairs, columns=["sex", "age"]).groupby(["sex", "age"]).size()
    assert ka.classes == len(sizes)
    assert ka.min_class_size == sizes.min()
    assert ka.classes_below_k == int((sizes < k).sum())
    assert ka.rows_in_classes_below_k == int(sizes[sizes < k].sum())


def test_unknown_quasi_identifier_is_an_error(write):
    with pytest.raises(DatasetError) as err:
        screened(write, "a", ["1"], quasi_identifiers=["nope"])
    assert err.value.field == "nope"


def test_screening_reads_only_the_columns_it_needs(write, monkeypatch):
    path = write("w.csv", "id,score,email\n1,2.5,a@b.org\n")
    table = open_table(path)
    seen = []
    original = table.batches

    def spy(columns=None, progress=None):
        seen.append(columns)
        return original(columns=columns, progress=progress)

    monkeypatch.setattr(table, "batches", spy)
    schema = {
        "fields": [
            {"name": "id", "type": "integer"},
            {"name": "score", "type": "number"},
            {"name": "email", "type": "string"},
        ]
    }
    # Whole numbers are read only when they may be long enough for a national number.
    screen(table, schema, ranges={"id": (1, 1)})
    assert seen == [[2]]
    screen(table, schema, ranges={"id": (1, 123_456_789)})
    assert seen[1] == [0, 2]


@settings(deadline=None)
@given(st.text(min_size=2, max_size=40))
def test_masking_never_returns_the_value(value):
    masked = mask(value)
    assert masked != value
    if len(value) > 24:
        assert masked.endswith("…")


def test_columns_left_out_of_an_edited_schema_are_still_screened(write):
    path = write("x.csv", "id,contact\n1,ann@example.org\n2,bob@example.org\n")
    report = screen(path, {"fields": [{"name": "id", "type": "integer"}]})
    assert ("contact", "email") in {(f.column, f.kind) for f in report.findings}


# -- content, whatever the header -------------------------------------------------

GIVEN = ["Grace", "John", "Maria", "David", "Linda", "James", "Susan", "Robert", "Karen", "Paul"]


def finding(report, column):
    return {f.kind: f for f in report.findings if f.column == column}


def test_a_column_of_first_names_is_a_direct_identifier_whatever_its_header(write):
    report = screened(write, "id,given", [f"{i},{name}" for i, name in enumerate(GIVEN)])
    name = finding(report, "given")["name"]
    assert (name.category, name.severity, name.evidence, name.count) == (
        "direct",
        "block",
        "content",
        10,
    )
    assert name.examples[0] == "G****"


def test_labels_that_happen_to_be_names_are_not_a_name_column(write):
    # Few distinct values: a category ("White" and "Black" are also surnames).
    rows = [random.Random(i).choice(["White", "Black", "Asian"]) for i in range(60)]
    assert "name" not in finding(screened(write, "group", rows), "group")
    # Study-level files name their trials' authors: a citation, not a participant.
    authors = ["Aronson", "Ferguson", "Rosenthal", "Hart", "Frimodt", "Stein", "Vandiviere"]
    assert screened(write, "author", authors * 2).findings == []


def test_names_inside_free_text_block(write):
    notes = [
        "Grace Evans reports dizziness after the second dose",
        "no adverse events at the week four visit today",
        "mild nausea resolved without treatment by day three",
    ]
    report = screened(write, "id,notes", [f"{i},{n}" for i, n in enumerate(notes)])
    name = finding(report, "notes")["name"]
    assert (name.severity, name.count, name.rows) == ("block", 1, [2])
    assert "Grace" not in name.examples[0] and "Evans" not in name.examples[0]


@pytest.mark.parametrize(
    "text",
    [
        "seen by Dr Okafor for follow up",
        "Mrs Kowalski phoned about the rash",
        "Michael Brown missed the visit",
    ],
)
def test_titles_and_full_names_in_text_are_names(write, text):
    report = screened(write, "comment", [text, "all well at the visit today, no complaints"])
    assert finding(report, "comment")["name"].count == 1


def test_clinical_sentences_are_not_names(write):
    text = [
        "Patient reports Severe Headache and Blood Pressure of 150/95",
        "Mallory Weiss tear suspected after vomiting, referred",
        "Parkinson Disease progression slower than expected",
        "Grace period of two weeks before the Next Visit",
        "Type 2 Diabetes, on Metformin since January",
    ]
    report = screened(write, "notes", text)
    assert "name" not in finding(report, "notes")


def test_free_text_is_held_for_a_person_to_read(write):
    notes = [
        f"week {i}: the participant felt tired in the afternoons and slept badly" for i in range(9)
    ]
    report = screened(write, "id,notes,arm", [f"{i},{n},A" for i, n in enumerate(notes)])
    text = finding(report, "notes")["free-text"]
    assert (text.category, text.severity) == ("free-text", "warn")
    assert report.must_confirm == [text]
    assert finding(report, "arm") == {}  # short repeated labels are not free text


def test_five_digit_zip_codes_under_another_header(write):
    zips = ["02139", "10001", "94110", "60614", "73301", "33101-1234", "98109", "30301"]
    report = screened(write, "id,area", [f"{i},{z}" for i, z in enumerate(zips)])
    zip_code = finding(report, "area")["zip-code"]
    assert (zip_code.category, zip_code.severity) == ("direct", "block")
    assert "US ZIP codes" in zip_code.message
    assert zip_code.suggested_fix == {"fix": "zips_to_3", "column": "area"}
    # Whole numbers are ZIP codes only in a column named for a place.
    numbers = ["12139", "10001", "94110", "60614", "73301", "33101", "98109", "30301"]
    assert "zip-code" in finding(screened(write, "region", numbers), "region")
    assert screened(write, "dose_mg", numbers).findings == []


def test_ssns_without_dashes(write):
    ssns = ["219876543", "301456789", "412345678", "523456781", "134567892", "245678913"]
    report = screened(write, "ref", ssns)  # inferred as whole numbers
    assert finding(report, "ref")["national-id"].severity == "block"
    spaced = screened(write, "ref", ["219 87 6543", "301 45 6789", "412 34 5678"])
    assert "national-id" in finding(spaced, "ref")
    # Numbers the SSA never issues (area 000, 666 or 9xx) are not SSNs.
    never = ["000123456", "666123456", "912345678", "987654321"]
    assert "national-id" not in finding(screened(write, "ref", never), "ref")
    # A running number is a row id, even with nine digits.
    running = [str(100_000_001 + i) for i in range(20)]
    assert screened(write, "ref", running).findings == []


def test_nhs_numbers_need_a_valid_check_digit(write):
    valid = ["9434765919", "4010232137", "9876544321", "9434765870", "4505577104"]
    assert "national-id" in finding(screened(write, "code", valid), "code")
    wrong = ["9434765918", "4010232138", "9876544322", "9434765871", "4505577105"]
    assert "national-id" not in finding(screened(write, "code", wrong), "code")


@pytest.mark.parametrize(
    "email",
    [
        "grace at gmail dot com",
        "john [at] example [dot] org",
        "maria(at)example.org",
        "d.smith AT hotmail DOT co DOT uk",
        "write to lee {at} clinic.nhs.uk",
    ],
)
def test_e_mail_addresses_written_out(write, email):
    report = screened(write, "contact", [email, "none"])
    assert finding(report, "contact")["email"].severity == "block"


def test_sentences_with_at_and_dot_are_not_e_mail_addresses(write):
    text = ["seen at home. com fortable", "arrived at 5. Co-morbidities noted", "at rest"]
    assert "email" not in finding(screened(write, "notes", text), "notes")


def test_phone_numbers_in_international_formats(write):
    phones = [
        "+1 (415) 555-2671",
        "+44 20 7946 0958",
        "+33 1 42 68 53 00",
        "+49 30 901820",
        "(212) 555-0190",
        "+61 2 9374 4000",
        "020 7946 0000",
        "+1 202.456.1111",
    ]
    found = finding(screened(write, "x", phones), "x")["phone"]
    assert found.severity == "block"
    # Measurements with many digits are not phone numbers.
    readings = ["120/80 72 36.6", "2020-01-05", "1234.5678", "0.000123456"]
    assert "phone" not in finding(screened(write, "reading", readings * 2), "reading")


def test_re_identification_risk_counts_unique_rows_over_recognised_quasi_identifiers(write):
    rows = ["M,30,A", "M,30,A", "M,30,A", "F,40,A", "F,41,A"]
    report = screened(write, "sex,age,site", rows)
    risk = report.risk
    assert risk.quasi_identifiers == ["sex", "age", "site"]
    assert (risk.min_class_size, risk.unique_rows, risk.unique_share) == (1, 2, 0.4)
    assert report.to_dict()["risk"]["unique_share"] == 0.4


def test_names_in_long_free_text_are_looked_for_in_a_sample_spread_over_the_file(write):
    # 60,000 notes, most of them naming nobody; every 500th names a person.
    rows = [
        f"{i},Visit {i} Grace Evans felt dizzy"
        if i % 500 == 0
        else f"{i},Visit {i} Severe Headache settled with rest"
        for i in range(60_000)
    ]
    name = finding(screened(write, "id,notes", rows), "notes")["name"]
    assert name.severity == "block"
    # 2,500 of the 60,000 read, evenly: about ten of the 120 that name someone.
    assert 2 <= name.count <= 20 and "Only a sample of 2,500 cells" in name.message


@pytest.mark.parametrize(
    ("values", "fix", "words"),
    [
        # UK-shaped, however written: the outward-code rule, never a cut at 3 characters.
        (
            ["M1 1AE", "m11ae", "SW1A 1AA", "ec1a1bb", "B33 8TH", "CR2 6XH"],
            {"fix": "uk_outward_codes", "column": "postcode"},
            "full UK postcodes",
        ),
        # ZIP-shaped: Safe Harbor's three digits.
        (
            ["02139", "10001-1234", "94110", "60614", "73301", "98109"],
            {"fix": "zips_to_3", "column": "postcode"},
            "US ZIP codes",
        ),
        # Neither: the generic cut, offered as what it is.
        (
            ["75008 Paris", "1010 Wien", "20095 Hamburg", "00184 Roma", "1050 Bruxelles", "X"],
            {"fix": "first_characters", "column": "postcode", "length": 3},
            "neither the UK postcode nor the US ZIP code pattern",
        ),
    ],
)
def test_the_postcode_fix_follows_what_the_column_holds(write, values, fix, words):
    report = screened(write, "id,postcode", [f"{i},{v}" for i, v in enumerate(values)])
    found = finding(report, "postcode")
    [postcode] = [f for kind, f in found.items() if kind in ("postcode", "zip-code")]
    assert postcode.severity == "block" and postcode.suggested_fix == fix
    assert words in postcode.message


def test_outward_codes_and_zip_areas_are_coarse_enough(write):
    outward = screened(write, "id,postcode", [f"{i},{v}" for i, v in enumerate(["M1", "SW1A"])])
    assert not outward.blocking
    areas = screened(write, "id,zip", ["1,021", "2,100", "3,000"])
    assert not areas.blocking
    # An area of 20,000 people or fewer must become 000.
    sparse = screened(write, "id,zip", ["1,021", "2,036"])
    assert finding(sparse, "zip")["postcode"].suggested_fix["fix"] == "zips_to_3"
