from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from .recurrence import MAX_OCCURRENCES, NTH_CHOICES, REPEAT_CHOICES

WEEKDAY_CHOICES = [SelectChoice(day, label) for day, label in enumerate(
    (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun")))]


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

    # Repeat (optional): turned into an RRULE by recurrence.build_rrule.
    repeat = SelectField(_l("Repeat"), choices=[SelectChoice(k, v) for k, v in REPEAT_CHOICES.items()], default="", validate_choice=True)
    interval = IntegerField(_l("Every (days, weeks or months)"), default=1,
                            validators=[Optional(), NumberRange(min=1, max=52)])
    weekdays = SelectMultipleField(_l("On"), choices=WEEKDAY_CHOICES, coerce=int, widget=ListWidget(prefix_label=False),
                                   option_widget=CheckboxInput(), validators=[Optional()])
    month_day = IntegerField(_l("Day of the month"), validators=[Optional(), NumberRange(min=1, max=31)])
    nth = SelectField(_l("Which"), choices=[SelectChoice(k, v) for k, v in NTH_CHOICES.items()], coerce=int, default=1)
    nth_weekday = SelectField(_l("Weekday"), choices=WEEKDAY_CHOICES, coerce=int, default=0)
    ends = SelectField(_l("Ends"), choices=[SelectChoice("until", _l("On a date")),
                                            SelectChoice("count", _l("After a number of times"))], default="until")
    until = DateField(_l("Last date"), validators=[Optional()])
    count = IntegerField(_l("Number of times"), validators=[Optional(), NumberRange(min=1, max=MAX_OCCURRENCES)])
    skip_conflicts = BooleanField(_l("Skip dates that are taken (book the others)"))


class BookingFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), validators=[Optional()], validate_choice=False)
    when = SelectField(_l("When"), choices=[SelectChoice("upcoming", _l("Upcoming")), SelectChoice("past", _l("Past")),
                                            SelectChoice("all", _l("All"))],
                       default="upcoming", validators=[Optional()])
