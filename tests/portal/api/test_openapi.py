"""The OpenAPI document: generated from the routes and schemas, valid, and readable."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from portal.api.openapi import api_routes


def test_every_api_route_is_described(app):
    undescribed = [endpoint for _rule, endpoint, op in api_routes(app) if op is None]
    assert undescribed == [], "describe these with @operation or spec.describe()"


def test_the_document_is_valid_openapi_3_1(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0"
    validate(doc)


def test_the_document_lists_every_registered_api_route_and_method(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    documented = {(path, method) for path, methods in doc["paths"].items() for method in methods}
    for rule, _endpoint, _op in api_routes(app):
        path = rule.rule.replace("<int:", "<").replace("<", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented


def test_request_schemas_are_the_validating_models(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    body = doc["paths"]["/api/v1/analyses"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/AnalysisCreate"}
    create = doc["components"]["schemas"]["AnalysisCreate"]
    assert set(create["required"]) == {"datasets", "harmonisation"}
    assert create["additionalProperties"] is False
    params = {p["name"]: p for p in doc["paths"]["/api/v1/questions"]["get"]["parameters"]}
    assert params["sort"]["schema"]["enum"] == ["top", "new", "trending"]
    assert params["per_page"]["schema"]["maximum"] == 100
    post = doc["paths"]["/api/v1/communities/{slug}/questions"]["post"]
    assert post["x-scope"] == "write" and "401" in post["responses"]


@pytest.mark.parametrize("url", ["/api", "/api/docs"])
def test_the_api_page_lists_operations_parameters_schemas_and_examples(client, url):
    response = client.get(url)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "POST /api/v1/questions/{question_id}/support" in page
    assert "<code>per_page</code>" in page and 'id="schema-QuestionCreate"' in page
    assert "Barthel index" in page  # the example body
    assert "<script>" not in page and "onclick" not in page
