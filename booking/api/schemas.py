"""The building blocks of the API's request and response models (pydantic).

The same models validate what clients send and generate /api/v1/openapi.json
(``spec``), so the document cannot drift from the code. Request bodies are
``Body`` (strict JSON: no coercion, no unknown fields), query strings ``Query``
(text read as the declared types), responses ``Out``.

A value that fails validation becomes one InvalidInput naming the field, with a
stable code: ``missing_field``, ``unknown_field``, ``invalid_type``,
``invalid_value``, ``invalid_datetime``, ``naive_datetime``, ``invalid_date``;
a body that is not a JSON object is 400 ``invalid_json``.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from flask_babel import gettext as _
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from ..errors import DomainError, InvalidInput
from ..timeutil import parse_iso

# Far enough for any booking, near enough that local-time arithmetic never overflows.
MIN_YEAR, MAX_YEAR = 2000, 2999
# Numeric(14, 2): twelve digits before the point, two after.
MAX_DECIMAL = Decimal(10) ** 12
# Ids and counts beyond a 32-bit integer cannot exist; the databases would refuse to compare them.
MAX_INT = 2**31 - 1


def N_(text: str) -> str:  # noqa: N802 - gettext's marker
    """Marks a description for translation: the catalog holds it, ``spec`` translates the
    document's descriptions when it is generated, in the reader's language."""
    return text


def _undocumented_docstring(schema: dict, _model: type) -> None:
    """A model's docstring is for the code's readers; the document describes fields (N_)."""
    schema.pop("description", None)


class MalformedBody(DomainError):
    code = "invalid_json"
    status = 400


class Body(BaseModel):
    """A JSON request body: exactly the declared fields, each of exactly its type."""
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_undocumented_docstring)


class Query(BaseModel):
    """Query parameters: unknown ones are ignored, values are read from text."""
    model_config = ConfigDict(extra="ignore", json_schema_extra=_undocumented_docstring)


class Out(BaseModel):
    """A response: documents every field the API sends, and no other."""
    model_config = ConfigDict(extra="forbid", json_schema_extra=_undocumented_docstring)


# --- scalar types ----------------------------------------------------------------------------

def _instant(value: Any) -> datetime:
    if value is None:  # null where a time is required reads as a missing time
        raise PydanticCustomError("missing_field", "required")
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise PydanticCustomError("naive_datetime", "naive")
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("invalid_type", "an ISO 8601 timestamp with a UTC offset")
    try:
        parsed = parse_iso(value)
    except OverflowError:
        raise PydanticCustomError("invalid_datetime", "out of range") from None
    except ValueError:
        if _is_naive_timestamp(value):
            raise PydanticCustomError("naive_datetime", "naive") from None
        raise PydanticCustomError("invalid_datetime", "not ISO 8601") from None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise PydanticCustomError("invalid_datetime", "out of range")
    return parsed


def _is_naive_timestamp(value: str) -> bool:
    try:
        return datetime.fromisoformat(value.strip()).tzinfo is None
    except ValueError:
        return False


def _day(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise PydanticCustomError("invalid_date", "a date like 2026-11-01")
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise PydanticCustomError("invalid_date", "a date like 2026-11-01") from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise PydanticCustomError("invalid_date", "out of range")
    return day


def _amount(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise PydanticCustomError("invalid_type", "a number written as a string")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        amount = None
    if (amount is None or not amount.is_finite() or amount < 0 or amount >= MAX_DECIMAL
            or amount.as_tuple().exponent < -2):
        raise PydanticCustomError("invalid_amount", "a non-negative number with at most two decimals")
    return amount


# Instants: ISO 8601 with an offset (or Z), between the years 2000 and 2999; naive ones are refused.
Instant = Annotated[datetime, PlainValidator(_instant), WithJsonSchema(
    {"type": "string", "format": "date-time", "description": N_("ISO 8601 with a UTC offset")})]
# A calendar day, e.g. 2026-11-01.
Day = Annotated[date, PlainValidator(_day), WithJsonSchema({"type": "string", "format": "date"})]
# Money and quantities: a non-negative decimal with at most two places, as a string (or an integer).
AMOUNT_PATTERN = r"^\s*\d{1,12}(\.\d{1,2})?\s*$"
Amount = Annotated[Decimal, PlainValidator(_amount), WithJsonSchema(
    {"anyOf": [{"type": "string", "pattern": AMOUNT_PATTERN}, {"type": "integer", "minimum": 0,
                                                               "maximum": 999999999999}],
     "description": N_("a non-negative amount with at most two decimals, e.g. \"1200.50\"")})]
# Ids: positive 32-bit integers.
Id = Annotated[int, Field(ge=1, le=MAX_INT)]
# Whole numbers that a database column can hold.
Count = Annotated[int, Field(ge=0, le=MAX_INT)]


def Text(max_length: int, *, min_length: int = 0) -> Any:  # noqa: N802 - reads as a type
    """A string of at most ``max_length`` characters without NUL (which PostgreSQL cannot store)."""
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length, pattern=r"^[^\x00]*$")]


def _comma_list(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def unchanged(**kwargs) -> Any:
    """A field of a partial update: absent means unchanged, so it has no default in the document."""
    return Field(None, json_schema_extra=lambda schema: schema.pop("default", None), **kwargs)


def CommaList(item: Any) -> Any:  # noqa: N802 - reads as a type
    """A query parameter listing values separated by commas (``status=pending,approved``)."""
    return Annotated[list[item], BeforeValidator(_comma_list), Field(json_schema_extra={"x-comma-separated": True})]


Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
OptionalTimestamp = Annotated[str | None, WithJsonSchema(
    {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]})]
DecimalString = Annotated[str, WithJsonSchema({"type": "string", "pattern": r"^-?\d+\.\d{2}$"})]
OptionalDecimalString = Annotated[str | None, WithJsonSchema(
    {"anyOf": [{"type": "string", "pattern": r"^-?\d+\.\d{2}$"}, {"type": "null"}]})]


# --- errors ----------------------------------------------------------------------------------

class ErrorDetail(Out):
    code: str = Field(description=N_("a stable machine code, e.g. `conflict`, `invalid_state`, `missing_field`"))
    message: str = Field(description=N_("what went wrong, in the caller's language"))
    details: dict[str, Any] = Field(default_factory=dict, description=N_("structured data, e.g. the field "
                                                                        "or the conflicting interval"))


class Error(Out):
    error: ErrorDetail


class Empty(Out):
    """No content to return beyond the status."""


_TYPE_NAMES = {
    "int_type": lambda: _("an integer"), "int_parsing": lambda: _("an integer"),
    "int_from_float": lambda: _("an integer"), "string_type": lambda: _("a string"),
    "bool_type": lambda: _("true or false"), "bool_parsing": lambda: _("true or false"),
    "list_type": lambda: _("a list"), "dict_type": lambda: _("an object"), "model_type": lambda: _("an object"),
    "model_attributes_type": lambda: _("an object"), "float_type": lambda: _("a number"),
    "float_parsing": lambda: _("a number"),
}


def invalid_input(error: ValidationError) -> DomainError:
    """The first problem of a pydantic ValidationError, as our error with a stable code and a message."""
    problem = error.errors(include_url=False)[0]
    kind, loc = problem["type"], [str(part) for part in problem["loc"]]
    ctx = problem.get("ctx") or {}
    if not loc and kind in ("model_type", "model_attributes_type", "dict_type", "json_invalid", "json_type"):
        return MalformedBody(_("The request body must be a JSON object."))
    if kind == "json_invalid":
        return MalformedBody(_("The request body must be a JSON object."))
    field = ".".join(part for part in loc if not part.isdigit())  # a list's field, not its item
    if kind in ("missing", "missing_field"):
        return InvalidInput(_("The field “%(field)s” is required.", field=field), code="missing_field", field=field)
    if kind == "extra_forbidden":
        return InvalidInput(_("Unknown field “%(field)s”.", field=field), code="unknown_field", field=field)
    if kind == "naive_datetime":
        return InvalidInput(_("The time “%(field)s” needs a UTC offset, e.g. 2025-03-03T09:00:00+08:00.",
                              field=field), code="naive_datetime", field=field)
    if kind == "invalid_datetime":
        if problem["msg"] == "out of range":
            return InvalidInput(_("The time “%(field)s” is out of range.", field=field), code="invalid_datetime",
                                field=field)
        return InvalidInput(_("The time “%(field)s” is not an ISO 8601 timestamp, e.g. "
                              "2025-03-03T09:00:00+08:00.", field=field), code="invalid_datetime", field=field)
    if kind == "invalid_date":
        return InvalidInput(_("The parameter “%(field)s” must be a date like 2026-11-01.", field=field),
                            code="invalid_date", field=field)
    if kind == "invalid_amount":
        return InvalidInput(_("The field “%(field)s” must be a non-negative number with at most two decimals.",
                              field=field), code="invalid_value", field=field)
    if kind == "invalid_type":
        return InvalidInput(_("The field “%(field)s” must be %(expected)s.", field=field,
                              expected=_("an ISO 8601 timestamp with a UTC offset")
                              if "ISO" in problem["msg"] else _("a number written as a string, e.g. \"1200.50\"")),
                            code="invalid_type", field=field)
    if kind in _TYPE_NAMES:
        return InvalidInput(_("The field “%(field)s” must be %(expected)s.", field=field,
                              expected=_TYPE_NAMES[kind]()), code="invalid_type", field=field)
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        low, high = ctx.get("ge", ctx.get("gt")), ctx.get("le", ctx.get("lt"))
        if low is not None and high is not None:
            message = _("The value of “%(field)s” must be between %(low)s and %(high)s.", field=field, low=low,
                        high=high)
        elif low is not None:
            message = _("The value of “%(field)s” must be at least %(low)s.", field=field, low=low)
        else:
            message = _("The value of “%(field)s” must be at most %(high)s.", field=field, high=high)
        return InvalidInput(message, code="invalid_value", field=field, details={"limits": [low, high]})
    if kind in ("string_too_long", "too_long"):
        return InvalidInput(_("The field “%(field)s” is too long: at most %(n)s.", field=field,
                              n=ctx.get("max_length")), code="too_long_text", field=field)
    if kind in ("string_too_short", "too_short"):
        return InvalidInput(_("The field “%(field)s” may not be empty.", field=field), code="invalid_value",
                            field=field)
    if kind in ("literal_error", "enum"):
        return InvalidInput(_("Unknown value for “%(field)s”; use one of: %(allowed)s.", field=field,
                              allowed=ctx.get("expected", "")), code="invalid_value", field=field)
    if kind == "string_pattern_mismatch":
        return InvalidInput(_("The field “%(field)s” contains a character that is not allowed.", field=field),
                            code="invalid_value", field=field)
    return InvalidInput(_("The value of “%(field)s” is not valid.", field=field), code="invalid_value", field=field)


__all__ = ["N_", "Amount", "Body", "CommaList", "Count", "Day", "Empty", "Error", "Id", "Instant", "Literal",
           "MalformedBody", "Out", "Query", "Text", "invalid_input"]
