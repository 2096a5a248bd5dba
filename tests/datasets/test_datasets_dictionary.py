"""A data dictionary carried from one version to the next."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datasets.dictionary import carry_dictionary
from datasets.ingest import ingest


def test_what_the_uploader_settled_is_carried_and_new_columns_keep_inference() -> None:
    previous = {
        "fields": [
            {"name": "id", "type": "string", "role": "participant_id", "title": "Patient"},
            {"name": "age", "type": "integer", "unit": "years", "missingValues": ["", "-99"]},
            {"name": "gone", "type": "string"},
        ],
        "missingValues": ["", "NA"],
    }
    inferred = {
        "fields": [
            {
                "name": "id",
                "type": "integer",
                "role": "covariate",
                "title": "Id",
                "constraints": {"required": True, "unique": True},
            },
            {"name": "age", "type": "integer", "title": "Age", "role": "covariate"},
            {"name": "new", "type": "number", "title": "New"},
        ],
        "missingValues": [""],
    }
    merged = carry_dictionary(inferred, previous)
    fields = {f["name"]: f for f in merged["fields"]}
    assert fields["id"]["type"] == "string" and fields["id"]["role"] == "participant_id"
    assert fields["id"]["title"] == "Patient"
    # "required" is the uploader's choice (unticked before), "unique" what the file shows.
    assert fields["id"]["constraints"] == {"unique": True}
    assert fields["id"]["missingValues"] == ["", "NA"]
    assert "title" not in fields["age"] and "role" not in fields["age"]
    assert fields["age"]["unit"] == "years" and fields["age"]["missingValues"] == ["", "-99"]
    assert fields["new"] == {"name": "new", "type": "number", "title": "New"}
    assert "gone" not in fields
    assert inferred["fields"][0]["type"] == "integer"  # the input is left alone


def test_quasi_identifiers_whose_column_is_gone_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "v2.csv"
    path.write_text("id,age\n1,50\n2,60\n")
    previous = {
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "zip", "type": "string"},
            {"name": "age", "type": "integer"},
        ]
    }
    result = ingest(path, carry_from=previous, quasi_identifiers=["zip", "age"])
    assert result.screening.k_anonymity is not None
    assert result.screening.k_anonymity.quasi_identifiers == ["age"]


CELLS = st.sampled_from(["1", "2.5", "x", "", "2020-01-02", "-99", "true"])
TYPES = st.sampled_from(["string", "integer", "number", "boolean", "date"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    columns=st.lists(st.lists(CELLS, min_size=1, max_size=6), min_size=1, max_size=3),
    types=st.lists(TYPES, min_size=3, max_size=3),
)
def test_a_carried_type_never_makes_a_file_fail_on_types(tmp_path: Path, columns, types) -> None:
    """Whatever the previous version said, the new version has no type errors the
    inferred dictionary would not have had."""
    rows = max(len(c) for c in columns)
    header = [f"c{i}" for i in range(len(columns))]
    lines = [",".join(header)] + [
        ",".join(c[r] if r < len(c) else "" for c in columns) for r in range(rows)
    ]
    path = tmp_path / "data.csv"
    path.write_text("\n".join(lines) + "\n")
    previous = {"fields": [{"name": n, "type": t} for n, t in zip(header, types, strict=False)]}
    inferred = ingest(path)
    carried = ingest(path, carry_from=previous)
    assert carried.report.error_counts.get("type-error", 0) <= inferred.report.error_counts.get(
        "type-error", 0
    )
