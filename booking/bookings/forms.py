from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, DateField, DecimalField, SelectField, TextAreaField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, Optional


class BookingRequestForm(FlaskForm):
    start_date = DateField(_l("Date"), validators=[InputRequired(_l("Please choose a date."))])
    start_time = TimeField(_l("From"), validators=[InputRequired(_l("Please choose a start time."))])
    end_date = DateField(_l("Until (date)"), validators=[Optional()])
    end_time = TimeField(_l("Until"), validators=[InputRequired(_l("Please choose an end time."))])
    purpose = TextAreaField(_l("Purpose"), validators=[Optional(), Length(max=500)])
    planned_output = DecimalField(_l("Planned output"), places=2,
                                  validators=[Optional(), NumberRange(min=0)])
    enterprise_id = SelectField(_l("On behalf of"), coerce=int, validate_choice=False, validators=[Optional()])
    override = BooleanField(_l("Override bookable hours and closures (recorded)"))


class BookingFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), validators=[Optional()], validate_choice=False)
    when = SelectField(_l("When"), choices=[SelectChoice("upcoming", _l("Upcoming")), SelectChoice("past", _l("Past")),
                                            SelectChoice("all", _l("All"))],
                       default="upcoming", validators=[Optional()])
