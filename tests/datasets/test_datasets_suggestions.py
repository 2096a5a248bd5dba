"""Suggestions for an inferred schema: roles, units, titles, the primary key
and enumerations."""

from __future__ import annotations

from datasets.inference import profile
from datasets.reading import open_table
from datasets.schema import ROLES
from datasets.suggestions import guess_unit, suggest_role


def infer(write, text: str, name: str = "t.csv"):
    return profile(open_table(write(name, text)))


def field(prof, name):
    return next(f for f in prof.schema["fields"] if f["name"] == name)


def test_roles_units_titles_key_and_enum_are_suggested(write):
    rows = ["patient_id,arm,age_years,weight_kg,status,futime,visit_date,comment"]
    for i in range(1, 41):
        rows.append(
            f"{i},{'A' if i % 2 else 'B'},{30 + i},{60 + i},{i % 2},{i * 10},"
            f"2020-01-{1 + i % 28:02d},note {i}"
        )
    prof = infer(write, "\n".join(rows) + "\n")
    roles = {f["name"]: f["role"] for f in prof.schema["fields"]}
    assert roles == {
        "patient_id": "participant_id",
        "arm": "arm",
        "age_years": "covariate",
        "weight_kg": "covariate",
        "status": "event",
        "futime": "time",
        "visit_date": "time",
        "comment": "covariate",
    }
    assert prof.schema["primaryKey"] == ["patient_id"]
    assert field(prof, "patient_id")["constraints"] == {"required": True, "unique": True}
    assert field(prof, "arm")["constraints"] == {"enum": ["A", "B"]}
    assert field(prof, "weight_kg")["unit"] == "kg"
    assert field(prof, "age_years")["unit"] == "years"
    assert field(prof, "visit_date")["title"] == "Visit date"
    assert set(roles.values()) <= set(ROLES)


def test_repeated_ids_get_no_primary_key(write):
    prof = infer(write, "id,t\n1,a\n1,b\n2,c\n")
    assert "primaryKey" not in prof.schema
    assert field(prof, "id")["role"] == "participant_id"


def test_role_and_unit_helpers():
    assert suggest_role("rx", "string", distinct=3, count=100, unique=False, max_length=5) == "arm"
    assert (
        suggest_role("case", "integer", distinct=2, count=100, unique=False, max_length=1)
        == "covariate"
    )
    assert (
        suggest_role("protime", "number", distinct=50, count=100, unique=False, max_length=4)
        == "covariate"
    )
    assert guess_unit("bili_mg_dl") == "mg/dL" and guess_unit("x") is None
