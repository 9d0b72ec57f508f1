"""Small helpers for API tests."""
from __future__ import annotations

from datetime import date

from ..factories import SHANGHAI, local


def stamp(day: date, hhmm: str) -> str:
    """A Shanghai wall-clock time as the ISO 8601 text a client sends (with its +08:00 offset)."""
    return local(day, hhmm).astimezone(SHANGHAI).isoformat()


def error_of(response) -> dict:
    """The body of an error response, which holds nothing but ``error``."""
    body = response.get_json()
    assert set(body) == {"error"}, body
    return body["error"]
