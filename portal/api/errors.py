"""Every API error has one shape: {"error": {"code", "message", "field"}}."""

from __future__ import annotations

from flask import jsonify


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field

    def response(self):
        body = {"error": {"code": self.code, "message": self.message, "field": self.field}}
        return jsonify(body), self.status
