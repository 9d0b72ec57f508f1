"""Reading API input, in one place: JSON bodies and query parameters.

Every failure is a DomainError naming the field, so that a client learns what to
fix: 400 ``invalid_json`` for a body that is not a JSON object, otherwise 422 with
``missing_field``, ``unknown_field``, ``invalid_type``, ``invalid_value``,
``invalid_datetime``, ``naive_datetime``, ``invalid_interval`` or
``window_too_long``.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import request
from flask_babel import gettext as _

from ..errors import DomainError, InvalidInput
from ..timeutil import parse_iso

# Far enough for any booking, near enough that local-time arithmetic never overflows.
MIN_YEAR, MAX_YEAR = 2000, 2999
# Numeric(14, 2): twelve digits before the point, two after.
MAX_DECIMAL = Decimal(10) ** 12
# Ids and counts beyond a 32-bit integer cannot exist; the databases would refuse to compare them.
MAX_INT = 2**31 - 1
# For URL rules: such ids answer 404 before reaching the database.


class MalformedBody(DomainError):
    code = "invalid_json"
    status = 400


# --- JSON bodies -----------------------------------------------------------------------------

def json_object(allowed: Collection[str], *, optional: bool = False) -> dict[str, Any]:
    """The request body as a JSON object with no keys outside ``allowed``.

    ``optional``: an empty body reads as ``{}`` (actions whose fields are all optional).
    """
    if optional and not request.get_data(cache=True).strip():
        return {}
    try:
        data = request.get_json(force=True, silent=True)
    except RecursionError:  # nested deeper than the parser goes
        data = None
    if not isinstance(data, dict):
        raise MalformedBody(_("The request body must be a JSON object."))
    for key in data:
        if key not in allowed:
            raise InvalidInput(_("Unknown field “%(field)s”.", field=key), code="unknown_field", field=key)
    return data


def _missing(name: str) -> InvalidInput:
    return InvalidInput(_("The field “%(field)s” is required.", field=name), code="missing_field", field=name)


def _wrong_type(name: str, expected: str) -> InvalidInput:
    return InvalidInput(_("The field “%(field)s” must be %(expected)s.", field=name, expected=expected),
                        code="invalid_type", field=name)


def read_int(data: dict, name: str, *, required: bool = False) -> int | None:
    value = data.get(name)
    if value is None:
        if required:
            raise _missing(name)
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong_type(name, _("an integer"))
    if abs(value) > MAX_INT:
        raise _out_of_bounds(name)
    return value


def _out_of_bounds(name: str) -> InvalidInput:
    return InvalidInput(_("The value of “%(field)s” is out of range.", field=name), code="invalid_value",
                        field=name)


def read_str(data: dict, name: str, *, required: bool = False) -> str:
    value = data.get(name)
    if value is None:
        if required:
            raise _missing(name)
        return ""
    if not isinstance(value, str):
        raise _wrong_type(name, _("a string"))
    if "\x00" in value:  # PostgreSQL cannot store it
        raise InvalidInput(_("The field “%(field)s” contains a NUL character.", field=name),
                           code="invalid_value", field=name)
    return value


def read_bool(data: dict, name: str) -> bool:
    value = data.get(name, False)
    if not isinstance(value, bool):
        raise _wrong_type(name, _("true or false"))
    return value


def read_datetime(data: dict, name: str) -> datetime:
    value = data.get(name)
    if value is None:
        raise _missing(name)
    if not isinstance(value, str):
        raise _wrong_type(name, _("an ISO 8601 timestamp with a UTC offset"))
    return to_datetime(value, name)


def read_decimal(data: dict, name: str) -> Decimal | None:
    """A non-negative amount with at most two decimals, sent as a string (or an integer), never a float."""
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise _wrong_type(name, _("a number written as a string, e.g. \"1200.50\""))
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        amount = None
    if (amount is None or not amount.is_finite() or amount < 0 or amount >= MAX_DECIMAL
            or amount.as_tuple().exponent < -2):
        raise InvalidInput(_("The field “%(field)s” must be a non-negative number with at most two decimals.",
                             field=name), code="invalid_value", field=name)
    return amount


# --- timestamps ------------------------------------------------------------------------------

def to_datetime(value: str, name: str) -> datetime:
    """An ISO 8601 timestamp with an offset, as aware UTC; naive timestamps are refused."""
    try:
        parsed = parse_iso(value)
    except OverflowError:
        raise _out_of_range(name) from None
    except ValueError:
        if _is_naive_timestamp(value):
            raise InvalidInput(
                _("The time “%(field)s” needs a UTC offset, e.g. 2025-03-03T09:00:00+08:00.", field=name),
                code="naive_datetime", field=name) from None
        raise InvalidInput(
            _("The time “%(field)s” is not an ISO 8601 timestamp, e.g. 2025-03-03T09:00:00+08:00.", field=name),
            code="invalid_datetime", field=name) from None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise _out_of_range(name)
    return parsed


def _out_of_range(name: str) -> InvalidInput:
    return InvalidInput(_("The time “%(field)s” is out of range.", field=name), code="invalid_datetime",
                        field=name)


def _is_naive_timestamp(value: str) -> bool:
    try:
        return datetime.fromisoformat(value.strip()).tzinfo is None
    except ValueError:
        return False


def check_interval(start: datetime, end: datetime, *, max_days: int | None = None) -> None:
    if end <= start:
        raise InvalidInput(_("The end must be after the start."), code="invalid_interval", field="end")
    if max_days is not None and end - start > timedelta(days=max_days):
        raise InvalidInput(_("The window may span at most %(n)d days.", n=max_days),
                           code="window_too_long", field="end")


# --- query parameters ------------------------------------------------------------------------

def arg_int(name: str, *, default: int | None = None, minimum: int | None = None,
            maximum: int | None = None) -> int | None:
    text = request.args.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise _wrong_type(name, _("an integer")) from None
    if abs(value) > MAX_INT:
        raise _out_of_bounds(name)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise InvalidInput(_("The parameter “%(field)s” must be between %(low)s and %(high)s.", field=name,
                             low=minimum if minimum is not None else "-∞",
                             high=maximum if maximum is not None else "∞"),
                           code="invalid_value", field=name)
    return value


def arg_datetime(name: str, *, required: bool = False) -> datetime | None:
    text = request.args.get(name, "").strip()
    if not text:
        if required:
            raise _missing(name)
        return None
    return to_datetime(text, name)


def arg_choices(name: str, choices: Iterable[str]) -> list[str]:
    """A comma-separated list of values, each one of ``choices``; empty means no filter."""
    allowed = list(choices)
    values = [v.strip() for v in request.args.get(name, "").split(",") if v.strip()]
    for value in values:
        if value not in allowed:
            raise InvalidInput(_("Unknown value “%(value)s” for “%(field)s”; use one of: %(allowed)s.",
                                 value=value, field=name, allowed=", ".join(allowed)),
                               code="invalid_value", field=name)
    return values
