from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

MAX_ID = 2**31 - 1


class JoinForm(FlaskForm):
    """Join a taken slot's waiting list: the slot comes from the failed request, as ISO 8601 instants."""
    facility_id = IntegerField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=1, max=MAX_ID)])
    start = HiddenField(validators=[InputRequired()])
    end = HiddenField(validators=[InputRequired()])
    purpose = HiddenField(validators=[Optional(), Length(max=500)])
    auto_request = BooleanField(_l("Request it for me as soon as it is free (if I am first in line)"))

    def __init__(self, *args, **kwargs):
        # Shown next to the booking request's form: its own prefix keeps the two forms' ids apart.
        kwargs.setdefault("prefix", "wait")
        super().__init__(*args, **kwargs)
