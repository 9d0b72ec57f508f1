"""The report filters: a GET form, so no CSRF token; choices are filled per viewer by the route."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, ValidationError

from .present import GROUP_LABELS

PERIOD_LABELS = {"month": _l("Month"), "quarter": _l("Quarter"), "year": _l("Year"), "range": _l("Date range")}


def options(pairs, optgroup=None) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(str(value), str(label), optgroup=optgroup) for value, label in pairs]


class Choice(SelectField):
    """A select whose value must be one of its options ("" = all), with a message people understand."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", [Optional()])
        super().__init__(*args, validate_choice=False, **kwargs)

    def pre_validate(self, form):
        if self.data and self.data not in {choice.value for choice in self.iter_choices()}:
            raise ValidationError(_l("Choose one of the options offered."))

    @property
    def selected_label(self) -> str:
        return next((str(c.label) for c in self.iter_choices() if c.value == self.data), self.data or "")


class ReportFilterForm(FlaskForm):
    class Meta:
        csrf = False

    chain = Choice(_l("Chain"))
    kind = Choice(_l("Kind of facility"))
    facility = Choice(_l("Facility"))
    enterprise = Choice(_l("Enterprise"))
    period = Choice(_l("Period"), choices=lambda: options(PERIOD_LABELS.items()), default="month")
    month = StringField(_l("Month"), validators=[Optional()], render_kw={"type": "month", "placeholder": "2026-11"})
    quarter = Choice(_l("Quarter"))
    year = Choice(_l("Year"))
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To (included)"), validators=[Optional()])
    group = Choice(_l("Group by"), choices=lambda: options(GROUP_LABELS.items()), default="facility")

    def validate(self, extra_validators=None) -> bool:
        """Only the chosen kind of period's values count: a stale quarter does not spoil a month."""
        super().validate(extra_validators)
        used = {"month": ("month",), "quarter": ("quarter",), "year": ("year",), "range": ("start", "end")}
        for name in {"month", "quarter", "year", "start", "end"} - set(used.get(self.period.data or "month", ())):
            self[name].errors = []
        return not self.errors

    def period_value(self) -> str | None:
        """The value ``parse_period`` reads for the chosen kind of period."""
        return {"month": self.month.data, "quarter": self.quarter.data, "year": self.year.data}.get(self.period.data)

    def value_field(self):
        """The field that holds the chosen period's value (where a period error is shown)."""
        return {"month": self.month, "quarter": self.quarter, "year": self.year,
                "range": self.start}.get(self.period.data or "month", self.period)
