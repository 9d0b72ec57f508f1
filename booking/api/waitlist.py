"""Waiting lists through the API."""
from . import bp  # noqa: F401
