"""One description per API operation: it validates the request and feeds the OpenAPI document.

``@operation(...)`` wraps a view: it checks authentication and the token's scope,
validates the query string, the JSON body or the form fields through pydantic
models, and passes the validated models to the view as ``query``, ``body`` or
``form``. The same ``Operation`` is what portal.api.openapi reads to write the
document, so the two cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import request
from flask_login import current_user
from pydantic import BaseModel, ValidationError

from portal.api.auth import missing_credentials, require_scope
from portal.errors import ServiceError, Unauthorized


@dataclass
class Operation:
    summary: str
    tag: str
    description: str = ""
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    form: type[BaseModel] | None = None
    #: Form fields that carry files (multipart); documented, read by the view.
    files: tuple[str, ...] = ()
    #: status -> response model (None: no body documented beyond its shape)
    responses: dict[int, type[BaseModel] | None] = field(default_factory=dict)
    #: "read", "write" or None (anyone, token or not)
    scope: str | None = None
    #: True when the operation needs a signed-in user (a token or a session cookie)
    auth: bool = False
    example: dict | None = None
    #: Statuses the view may answer with the error shape, besides the generic ones.
    errors: tuple[int, ...] = ()
    #: The view reads ``body`` itself, after checks that must come first (the object
    #: exists, the size is allowed); the model still documents it.
    view_reads_body: bool = False


def operation_of(endpoint: str, view: Callable) -> Operation | None:
    return getattr(view, "api_operation", None)


def _location(loc: tuple, prefix: str | None) -> str | None:
    """'datasets[0].slug' from pydantic's ('datasets', 0, 'slug')."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    if prefix:
        return f"{prefix}.{path}" if path else prefix
    return path or None


def validation_error(error: ValidationError, prefix: str | None = None) -> ServiceError:
    """The first problem pydantic found, with the field path it is about."""
    first = error.errors()[0]
    where = _location(tuple(first.get("loc", ())), prefix)
    message = first.get("msg", "invalid value")
    if where:
        message = f"{where}: {message}"
    return ServiceError(message, where)


def validate(model: type[BaseModel], data: Any, prefix: str | None = None) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise validation_error(error, prefix) from None


def _query_data(model: type[BaseModel]) -> dict:
    data: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        values = request.args.getlist(key)
        if not values:
            continue
        data[key] = values if _is_list(info.annotation) else values[0]
    return data


def _is_list(annotation: Any) -> bool:
    return getattr(annotation, "__origin__", None) is list


def json_body(model: type[BaseModel]) -> BaseModel:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ServiceError("Send a JSON object (Content-Type: application/json).")
    return validate(model, body)


def _form_data(model: type[BaseModel]) -> BaseModel:
    data = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key in request.form:
            value = request.form[key]
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            if extra.get("x-json-encoded"):
                try:
                    value = json.loads(value)
                except json.JSONDecodeError as error:
                    raise ServiceError(f"{key} is not valid JSON: {error}", key) from None
            data[key] = value
    return validate(model, data)


def unauthorized() -> Unauthorized:
    return missing_credentials()


def operation(summary: str, tag: str, **options: Any) -> Callable:
    op = Operation(summary=summary, tag=tag, **options)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if op.auth and not current_user.is_authenticated:
                raise unauthorized()
            if op.scope:
                require_scope(op.scope)
            if op.query is not None:
                kwargs["query"] = validate(op.query, _query_data(op.query))
            if op.body is not None and not op.view_reads_body:
                kwargs["body"] = json_body(op.body)
            if op.form is not None:
                kwargs["form"] = _form_data(op.form)
            return view(*args, **kwargs)

        wrapped.api_operation = op  # type: ignore[attr-defined]
        return wrapped

    return decorator
