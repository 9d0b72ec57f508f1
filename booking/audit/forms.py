"""The administrator's log filters (read from the query string)."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional


class LogFilterForm(FlaskForm):
    class Meta:
        csrf = False

    actor = StringField(_l("Who (e-mail contains)"), validators=[Optional(), Length(max=254)])
    action = SelectField(_l("What"), validators=[Optional()])
    object_type = SelectField(_l("About"), validators=[Optional()])
    facility = SelectField(_l("Facility"), validators=[Optional()])
    since = DateField(_l("From"), validators=[Optional()],
                      render_kw={"type": "date", "placeholder": "2026-11-01"})
    until = DateField(_l("To (included)"), validators=[Optional()],
                      render_kw={"type": "date", "placeholder": "2026-11-30"})

    def set_choices(self, actions: list[tuple[str, str]], object_types: list[tuple[str, str]],
                    facilities: list[tuple[int, str]]) -> None:
        self.action.choices = [SelectChoice("", _("Everything"))] + [SelectChoice(k, v) for k, v in actions]
        self.object_type.choices = [SelectChoice("", _("Anything"))] + [SelectChoice(k, v) for k, v in object_types]
        self.facility.choices = [SelectChoice("", _("All facilities"))] + \
            [SelectChoice(str(i), label) for i, label in facilities]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for name in ("since", "until"):
            if self[name].errors:
                self[name].errors = [_("Write the date as YYYY-MM-DD.")]
        if valid and self.since.data and self.until.data and self.since.data > self.until.data:
            self.until.errors = [_("The end date must not be before the start date.")]
            valid = False
        return valid

    def facility_id(self) -> int | None:
        return int(self.facility.data) if (self.facility.data or "").isdigit() else None
