"""Checking the Table Schemas that users edit: every problem names its field."""

from __future__ import annotations

import pytest

from datasets.errors import SchemaError
from datasets.schema import check_schema, normalise_schema


def test_check_schema_names_every_bad_field():
    schema = {
        "fields": [
            {"name": "a", "type": "integr"},
            {"name": "b", "type": "date", "format": "dd/mm/yyyy"},
            {"name": "c", "type": "integer", "constraints": {"minimum": "ten"}},
            {"name": "d", "type": "string", "constraints": {"pattern": "(", "maximum": 3}},
            {"name": "e", "type": "number", "role": "treatment"},
            {"name": "e", "type": "geopoint"},
            {"name": "f", "type": "boolean", "constraints": {"enum": ["maybe"]}},
        ],
        "primaryKey": ["zz"],
        "missingValues": "NA",
    }
    problems = check_schema(schema)
    named = {p["field"] for p in problems}
    assert {"a", "b", "c", "d", "e", "f", "zz"} <= named
    assert any(p["field"] is None and "missingValues" in p["message"] for p in problems)
    with pytest.raises(SchemaError) as err:
        normalise_schema(schema)
    assert err.value.problems == problems


def test_normalise_schema_accepts_a_string_primary_key():
    out = normalise_schema({"fields": [{"name": "id", "type": "integer"}], "primaryKey": "id"})
    assert out["primaryKey"] == ["id"]
