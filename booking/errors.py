"""Domain errors raised by services; routes and the API turn them into responses.

Every error carries a stable machine ``code``, an HTTP ``status`` and a translated
``message``; ``details`` holds structured data for API clients (e.g. the
conflicting interval).
"""
from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None,
                 details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = str(message)
        if code:
            self.code = code
        self.field = field
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.details:
            body["details"] = self.details
        return body


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class InvalidInput(DomainError):
    """The request is well-formed but breaks a rule (422)."""
    code = "invalid"
    status = 422


class Conflict(DomainError):
    """The slot is taken (409)."""
    code = "conflict"
    status = 409


class InvalidTransition(DomainError):
    """The booking is not in a state that allows this action (409)."""
    code = "invalid_state"
    status = 409
