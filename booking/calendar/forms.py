"""The calendar page's form. Which kinds and facilities a user may choose is filled in by the route."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField
from wtforms.validators import Optional


class FeedForm(FlaskForm):
    kind = SelectField(_l("Subscribe to"))
    # The service decides whether a facility is needed and visible; the route fills the choices.
    facility_id = SelectField(_l("Facility (for a facility's schedule)"), coerce=int, default=0,
                              validate_choice=False, validators=[Optional()])


class ClosureImportForm(FlaskForm):
    """On the facility's hours page: maintenance windows from an .ics file (see ``imports``)."""
    file = FileField(_l("iCalendar file (.ics)"), validators=[
        FileRequired(_l("Please choose a file.")),
        FileAllowed(["ics", "ical", "ifb", "icalendar"], _l("Please choose an iCalendar (.ics) file."))])
