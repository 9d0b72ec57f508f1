"""The administrators' quota form; the route fills in the facilities, chains and enterprises."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, SelectChoice, SelectField
from wtforms.validators import InputRequired, NumberRange, ValidationError

from ..facilities.models import KINDS
from .models import OVER_LIMIT, PERIODS

SCOPES = {"facility": _l("One facility"), "kind": _l("Every facility of a kind")}
UNITS = {"hours": _l("Hours"), "bookings": _l("Bookings")}


def _options(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


class QuotaForm(FlaskForm):
    scope = SelectField(_l("Applies to"), choices=_options(SCOPES), default="facility")
    facility_id = SelectField(_l("Facility"), coerce=int, default=0, validate_choice=False)
    kind = SelectField(_l("Kind of facility"), choices=_options({"": "—", **KINDS}), default="")
    chain_id = SelectField(_l("In the chain"), coerce=int, default=0, validate_choice=False)
    enterprise_id = SelectField(_l("Enterprise"), coerce=int, default=0, validate_choice=False)
    period = SelectField(_l("Period"), choices=_options(PERIODS), default="week")
    unit = SelectField(_l("Limit in"), choices=_options(UNITS), default="hours")
    limit = DecimalField(_l("Limit"), places=2, validators=[
        InputRequired(_l("Please give the limit.")),
        NumberRange(min=0, message=_l("The limit must be zero or more."))])
    peak_only = BooleanField(_l("Count only peak hours"))
    over_limit = SelectField(_l("Over the limit"), choices=_options(OVER_LIMIT), default="refuse")

    def validate_limit(self, field) -> None:
        if self.unit.data == "bookings" and field.data is not None and field.data != field.data.to_integral_value():
            raise ValidationError(_l("A number of bookings is a whole number."))
        if self.unit.data == "hours" and field.data is not None and field.data.quantize(Decimal("0.01")) != field.data:
            raise ValidationError(_l("Give the hours with at most two decimals."))

    def quota_data(self) -> dict:
        """The validated values in the shape create_quota takes (0 in a choice of rows: none)."""
        by_facility = "scope" not in self or self.scope.data == "facility"  # managers: no choice
        return {
            "facility_id": (self.facility_id.data or None) if by_facility else None,
            "kind": None if by_facility else (self.kind.data or None),
            "chain_id": None if by_facility else (self.chain_id.data or None),
            "enterprise_id": self.enterprise_id.data or None,
            "period": self.period.data,
            "limit_hours": self.limit.data if self.unit.data == "hours" else None,
            "limit_bookings": int(self.limit.data) if self.unit.data == "bookings" else None,
            "peak_only": self.peak_only.data,
            "over_limit": self.over_limit.data,
        }
