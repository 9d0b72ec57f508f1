"""Forms of the administration pages. Choices that come from the database are filled in by the routes."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, DecimalField, IntegerField, PasswordField, SelectChoice,
                     SelectField, SelectMultipleField, StringField, TextAreaField, TimeField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..bookings.forms import WEEKDAY_CHOICES
from ..facilities.models import BILLING_BASES, KINDS, OUTPUT_UNITS, RATE_UNITS
from ..organisation.people import MEMBER_ROLES
from ..timeutil import format_hhmm, parse_hhmm

MULTI_HINT = _l("Hold Ctrl (⌘ on a Mac) to choose several.")
REQUIRED = _l("This field is required.")


def options(labels: dict) -> list[SelectChoice]:
    """``{value: label}`` as select options, in the dict's order."""
    return [SelectChoice(value, label) for value, label in labels.items()]


def _required(message=REQUIRED):
    return DataRequired(message)


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])


class FacilityFilterForm(FlaskForm):
    class Meta:
        csrf = False

    chain = SelectField(_l("Chain"), coerce=int, validators=[Optional()], validate_choice=False)
    kind = SelectField(_l("Kind"), validators=[Optional()],
                       choices=options({"": _l("All kinds"), **KINDS}), validate_choice=False)


class ChainForm(FlaskForm):
    name = StringField(_l("Name"), validators=[_required(), Length(max=120)])
    name_en = StringField(_l("English name"), validators=[Optional(), Length(max=160)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    timezone = StringField(_l("Time zone"), default="Asia/Shanghai", validators=[_required(), Length(max=64)])
    show_booker_names = BooleanField(_l("Members see which enterprise holds another enterprise's booking"))
    enterprise_ids = SelectMultipleField(_l("Member enterprises"), coerce=int)
    committee_ids = SelectMultipleField(_l("Committee members"), coerce=int)


class EnterpriseForm(FlaskForm):
    name = StringField(_l("Name"), validators=[_required(), Length(max=160)])
    name_en = StringField(_l("English name"), validators=[Optional(), Length(max=200)])
    uscc = StringField(_l("Unified social credit code"), validators=[_required(), Length(max=40)])
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=80)])
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=40)])
    contact_email = StringField(_l("Contact e-mail"), validators=[Optional(), Length(max=254)])
    active = BooleanField(_l("Active"), default=True)
    chain_ids = SelectMultipleField(_l("Chains"), coerce=int)


def _minutes(label, smallest: int, default: int):
    return IntegerField(label, default=default,
                        validators=[InputRequired(REQUIRED), NumberRange(min=smallest, max=100_000)])


def _money(label, required: bool = True):
    return DecimalField(label, places=2, default=0,
                        validators=[InputRequired(REQUIRED) if required else Optional(),
                                    NumberRange(min=0, message=_l("Please enter an amount of zero or more."))])


class MinuteOfDayField(StringField):
    """A local time of day typed as HH:MM, held as minutes after midnight (None: left empty)."""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return format_hhmm(self.data) if isinstance(self.data, int) else ""

    def process_formdata(self, valuelist) -> None:
        text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if text:
            try:
                self.data = parse_hhmm(text)
            except ValueError:
                raise ValueError(_l("Write the time as HH:MM, e.g. 18:00.")) from None


class FacilityForm(FlaskForm):
    name = StringField(_l("Name"), validators=[_required(), Length(max=160)])
    name_en = StringField(_l("English name"), validators=[Optional(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=options(KINDS))
    chain_id = SelectField(_l("Chain"), coerce=int)
    host_enterprise_id = SelectField(_l("Host"), coerce=int)
    park = StringField(_l("Park"), validators=[Optional(), Length(max=120)])
    location = StringField(_l("Location"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    capacity = IntegerField(_l("Capacity (people)"), validators=[Optional(), NumberRange(min=0, max=100_000)])
    throughput_per_hour = DecimalField(_l("Throughput per hour"), places=2,
                                       validators=[Optional(), NumberRange(min=0)])
    output_unit = SelectField(_l("Output unit"), choices=options({"": "—", **OUTPUT_UNITS}))
    timezone = StringField(_l("Time zone"), validators=[Optional(), Length(max=64)])
    active = BooleanField(_l("Active (can be booked)"), default=True)
    requires_approval = BooleanField(_l("Bookings need a manager's approval"), default=True)

    slot_minutes = _minutes(_l("Slot length (minutes)"), 1, 30)
    min_minutes = _minutes(_l("Shortest booking (minutes)"), 1, 30)
    max_minutes = _minutes(_l("Longest booking (minutes)"), 1, 480)
    min_notice_minutes = _minutes(_l("Minimum notice (minutes)"), 0, 60)
    max_advance_days = _minutes(_l("Bookable up to (days ahead)"), 1, 90)
    buffer_minutes = _minutes(_l("Changeover buffer (minutes)"), 0, 0)

    # Cancellation, reminders and peak hours. A form without them (an older client) leaves them as they are.
    cancel_notice_minutes = IntegerField(_l("Cancellation notice (minutes)"), default=1440,
                                         validators=[Optional(), NumberRange(min=0, max=1_000_000)])
    reminder_hours = IntegerField(_l("Reminder before the start (hours)"), default=24,
                                  validators=[Optional(), NumberRange(min=1, max=24 * 366)])
    peak_start_minute = MinuteOfDayField(_l("Peak hours from"), validators=[Optional()])
    peak_end_minute = MinuteOfDayField(_l("Peak hours until"), validators=[Optional()])
    peak_weekdays = SelectMultipleField(_l("Peak days"), choices=WEEKDAY_CHOICES, coerce=int, default=list(range(5)),
                                        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                                        validators=[Optional()])

    currency = StringField(_l("Currency"), default="CNY", validators=[_required(), Length(min=3, max=3)])
    rate_unit = SelectField(_l("Rate unit"), choices=options(RATE_UNITS))
    shared_rate = _money(_l("Shared rate"))
    reference_rate = _money(_l("Reference rate (what an enterprise would pay alone)"))
    billing_basis = SelectField(_l("Billed on"), choices=options(BILLING_BASES))
    no_show_fee = _money(_l("No-show fee"))
    late_cancel_fee = _money(_l("Late cancellation fee"))

    manager_ids = SelectMultipleField(_l("Managers"), coerce=int)

    DATA_FIELDS = ("name", "name_en", "kind", "chain_id", "host_enterprise_id", "park", "location",
                   "description", "capacity", "throughput_per_hour", "output_unit", "timezone", "active",
                   "requires_approval", "slot_minutes", "min_minutes", "max_minutes", "min_notice_minutes",
                   "max_advance_days", "buffer_minutes", "currency", "rate_unit", "shared_rate",
                   "reference_rate", "billing_basis", "no_show_fee", "late_cancel_fee")

    def facility_data(self) -> dict:
        """The validated values in the shape save_facility takes."""
        data = {name: self[name].data for name in self.DATA_FIELDS}
        for name in ("name", "name_en", "park", "location", "description", "output_unit", "timezone"):
            data[name] = (data[name] or "").strip()
        data["name_en"] = data["name_en"] or None
        data["timezone"] = data["timezone"] or None  # blank: the chain's zone
        data["host_enterprise_id"] = data["host_enterprise_id"] or None  # 0: the committee
        data["currency"] = (data["currency"] or "").strip().upper()
        for name in ("cancel_notice_minutes", "reminder_hours"):
            if self[name].raw_data:  # sent, possibly empty (no reminder; a missing notice is refused)
                data[name] = self[name].data
        if self.peak_start_minute.raw_data or self.peak_end_minute.raw_data:
            data["peak_start_minute"] = self.peak_start_minute.data
            data["peak_end_minute"] = self.peak_end_minute.data
            data["peak_weekdays"] = "".join(str(d) for d in sorted(set(self.peak_weekdays.data or [])))
        return data


class UserForm(FlaskForm):
    email = StringField(_l("E-mail"), validators=[_required(), Length(max=254)])
    name = StringField(_l("Full name"), validators=[_required(), Length(max=120)])
    password = PasswordField(_l("Initial password"), validators=[_required(), Length(max=200)])
    is_admin = BooleanField(_l("Administrator"))
    enterprise_id = SelectField(_l("Enterprise"), coerce=int, default=0)
    role = SelectField(_l("Role in the enterprise"), choices=options(MEMBER_ROLES), default="member")
    committee_chain_ids = SelectMultipleField(_l("Committee member of"), coerce=int)
    managed_facility_ids = SelectMultipleField(_l("Manages the facilities"), coerce=int)


class UserEditForm(UserForm):
    password = None  # changed through PasswordResetForm


class PasswordResetForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[_required(), Length(max=200)])


class MemberForm(FlaskForm):
    email = StringField(_l("E-mail"), validators=[_required(), Length(max=254)])
    name = StringField(_l("Full name"), validators=[_required(), Length(max=120)])
    password = PasswordField(_l("Initial password"), validators=[_required(), Length(max=200)])
    role = SelectField(_l("Role"), choices=options(MEMBER_ROLES), default="member")


class MemberRoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=options(MEMBER_ROLES))


class HoursForm(FlaskForm):
    mon = StringField(_l("Monday"), validators=[Optional(), Length(max=200)])
    tue = StringField(_l("Tuesday"), validators=[Optional(), Length(max=200)])
    wed = StringField(_l("Wednesday"), validators=[Optional(), Length(max=200)])
    thu = StringField(_l("Thursday"), validators=[Optional(), Length(max=200)])
    fri = StringField(_l("Friday"), validators=[Optional(), Length(max=200)])
    sat = StringField(_l("Saturday"), validators=[Optional(), Length(max=200)])
    sun = StringField(_l("Sunday"), validators=[Optional(), Length(max=200)])


CLOSURE_KINDS = {"closure": _l("Closure"), "maintenance": _l("Maintenance")}


class ClosureForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=options(CLOSURE_KINDS), default="maintenance")
    start_date = DateField(_l("From (date)"), validators=[InputRequired(_l("Please choose a date."))])
    start_time = TimeField(_l("From (time)"), validators=[InputRequired(_l("Please choose a time."))])
    end_date = DateField(_l("Until (date)"), validators=[InputRequired(_l("Please choose a date."))])
    end_time = TimeField(_l("Until (time)"), validators=[InputRequired(_l("Please choose a time."))])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])
