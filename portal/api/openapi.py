"""The OpenAPI 3.1 document, generated from the registered routes and their schemas,
and the readable API page that renders the same document as HTML."""

from __future__ import annotations

import re
from typing import Any, Literal

from flask import Blueprint, Flask, current_app, render_template
from pydantic import BaseModel
from werkzeug.routing import Rule

from portal.api import schemas
from portal.api.blueprint import PREFIX
from portal.api.spec import Operation, operation_of

bp = Blueprint("api_docs", __name__)
REF = "#/components/schemas/{model}"
_CONVERTER = re.compile(r"<(?:(?P<conv>[a-z]+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
#: Flask's int converter accepts digits only; the upper bound keeps ids in a 32-bit column.
_PARAM_SCHEMAS = {
    "int": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
    "string": {"type": "string", "pattern": "^[^/]+$", "maxLength": 200},
    "default": {"type": "string", "pattern": "^[^/]+$", "maxLength": 200},
}
GENERIC_ERRORS = {
    400: "The request is invalid; error.field names what.",
    401: "Needs a signed-in user: send 'Authorization: Bearer <token>'; a token that is "
    "unknown or revoked is refused on every operation (error.code invalid_token).",
    403: "Signed in, but not allowed (role, scope or ownership).",
    404: "No such object, or not visible to you.",
    405: "Method not allowed.",
    409: "The object's state forbids this.",
    413: "The request body is too large.",
    429: "Too many requests; wait and retry.",
}


class _Components:
    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {}

    def ref(
        self,
        model: type[BaseModel],
        mode: Literal["validation", "serialization"] = "validation",
    ) -> dict[str, Any]:
        schema = model.model_json_schema(ref_template=REF, mode=mode)
        for name, definition in schema.pop("$defs", {}).items():
            self.schemas.setdefault(name, definition)
        self.schemas.setdefault(model.__name__, schema)
        return {"$ref": REF.format(model=model.__name__)}

    def inline(self, model: type[BaseModel]) -> dict:
        schema = model.model_json_schema(ref_template=REF)
        for name, definition in schema.pop("$defs", {}).items():
            self.schemas.setdefault(name, definition)
        return schema


def _path(rule: Rule) -> tuple[str, list[dict]]:
    params = []

    def replace(match: re.Match) -> str:
        schema = _PARAM_SCHEMAS.get(match["conv"] or "default", _PARAM_SCHEMAS["default"])
        params.append(
            {"name": match["name"], "in": "path", "required": True, "schema": dict(schema)}
        )
        return "{" + match["name"] + "}"

    return _CONVERTER.sub(replace, rule.rule), params


def _query_parameters(model: type[BaseModel], components: _Components) -> list[dict]:
    schema = components.inline(model)
    required = set(schema.get("required", ()))
    return [
        {
            "name": name,
            "in": "query",
            "required": name in required,
            "description": prop.get("description", ""),
            "schema": {k: v for k, v in prop.items() if k not in ("description", "title")},
        }
        for name, prop in schema.get("properties", {}).items()
    ]


def _request_body(op: Operation, components: _Components) -> dict | None:
    if op.body is not None:
        content: dict[str, Any] = {"schema": components.ref(op.body)}
        if op.example:
            content["example"] = op.example
        return {"required": True, "content": {"application/json": content}}
    if op.form is not None:
        schema = components.inline(op.form)
        properties = dict(schema.get("properties", {}))
        encoding = {}
        for name, prop in list(properties.items()):
            if prop.get("x-json-encoded"):
                encoding[name] = {"contentType": "application/json"}
        for name in op.files:
            properties[name] = {
                "type": "string",
                "contentMediaType": "application/octet-stream",
                "description": "The file (CSV, TSV, XLSX, Parquet).",
            }
        required = [*schema.get("required", ()), *op.files]
        form: dict[str, Any] = {
            "schema": {"type": "object", "properties": properties, "required": required}
        }
        if encoding:
            form["encoding"] = encoding
        return {"required": True, "content": {"multipart/form-data": form}}
    return None


def _responses(op: Operation, components: _Components, method: str) -> dict:
    error = {"application/json": {"schema": {"$ref": REF.format(model="ErrorBody")}}}
    components.ref(schemas.ErrorBody, "serialization")
    out: dict[str, Any] = {}
    for status, model in op.responses.items():
        body: dict[str, Any] = {"description": "Success."}
        if model is not None:
            body["content"] = {
                "application/json": {"schema": components.ref(model, "serialization")}
            }
        out[str(status)] = body
    # Any operation refuses a revoked or unknown token, and any write one without
    # credentials, so every operation may answer 401.
    statuses = {400, 401, 404, 405, *op.errors}
    if op.scope == "write" or op.auth:
        statuses |= {403}
    if method in ("post", "put", "patch", "delete"):
        statuses |= {429}
    for status in sorted(statuses):
        out.setdefault(
            str(status), {"description": GENERIC_ERRORS.get(status, "Error."), "content": error}
        )
    return out


def _operation_id(endpoint: str) -> str:
    return endpoint.replace(".", "_")


def api_routes(app: Flask) -> list[tuple[Rule, str, Operation | None]]:
    """Every rule under /api/v1, with its operation (None when undescribed)."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(PREFIX) and rule.endpoint != "api_docs.openapi":
            view = app.view_functions[rule.endpoint]
            found.append((rule, rule.endpoint, operation_of(rule.endpoint, view)))
    return sorted(found, key=lambda item: item[0].rule)


def document(app: Flask) -> dict:
    components = _Components()
    paths: dict[str, dict] = {}
    tags: set[str] = set()
    for rule, endpoint, op in api_routes(app):
        if op is None:
            continue
        path, params = _path(rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            method = method.lower()
            entry: dict[str, Any] = {
                "operationId": _operation_id(endpoint),
                "summary": op.summary,
                "tags": [op.tag],
                "responses": _responses(op, components, method),
            }
            if op.description:
                entry["description"] = op.description
            parameters = list(params)
            if op.query is not None:
                parameters += _query_parameters(op.query, components)
            if parameters:
                entry["parameters"] = parameters
            body = _request_body(op, components)
            if body is not None:
                entry["requestBody"] = body
            if op.auth or op.scope:
                entry["security"] = [{"bearer": []}, {"cookie": []}]
            if op.scope:
                entry["x-scope"] = op.scope
            paths.setdefault(path, {})[method] = entry
            tags.add(op.tag)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Open Research Portal API",
            "version": "1",
            "description": "Datasets, analyses, communities, questions, treatments, puzzles "
            "and jobs. "
            'Errors are always {"error": {"code", "message", '
            '"field"}}. Lists take page and per_page and answer '
            "{items, page, per_page, has_more}.",
        },
        "servers": [{"url": "/"}],
        "tags": [{"name": name} for name in sorted(tags)],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(components.schemas.items())),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token from the account page; "
                    "scope 'read' or 'write'.",
                },
                "cookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "The page session; unsafe methods then need the "
                    "X-CSRFToken header.",
                },
            },
        },
    }


@bp.get(f"{PREFIX}/openapi.json")
def openapi():
    return document(current_app)


@bp.get("/api")
@bp.get("/api/docs")
def docs():
    return render_template("api/docs.html", doc=document(current_app))
