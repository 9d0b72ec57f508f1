"""The form of an enterprise's stand-alone baseline; the service validates the values."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length

from ..facilities.models import KINDS, OUTPUT_UNITS


class BaselineForm(FlaskForm):
    # Unknown choices reach the service, whose message names the field's real rule.
    kind = SelectField(_l("Facility kind"), choices=[SelectChoice(k, label) for k, label in KINDS.items()],
                       validate_choice=False)
    output_per_hour = StringField(_l("Output per hour on its own equipment"), validators=[
        InputRequired(_l("Please enter the output per hour.")), Length(max=20)])
    output_unit = SelectField(_l("Unit"), choices=[SelectChoice(u, label) for u, label in OUTPUT_UNITS.items()],
                              validate_choice=False)
