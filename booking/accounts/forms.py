from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, Length
from wtforms.widgets import CheckboxInput, ListWidget


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in"))
    next = HiddenField()


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(),
                                        EqualTo("new_password", message=_l("The passwords do not match."))])


class LanguageForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=[SelectChoice("zh_CN", "中文"), SelectChoice("en", "English")])
    next = HiddenField()


TOKEN_SCOPES = {
    "read": _l("Read: see what you may see in the pages"),
    "write": _l("Write: book, cancel, decide and record as you may in the pages"),
    "admin": _l("Administer: enterprises, members and booking rules"),
}
TOKEN_LIFETIMES = [SelectChoice(30, _l("30 days")), SelectChoice(90, _l("90 days")),
                   SelectChoice(365, _l("1 year")), SelectChoice(0, _l("Never"))]


class TokenForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    scopes = SelectMultipleField(_l("What the token may do"), default=["read"],
                                 widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    expires_in_days = SelectField(_l("Expires after"), choices=TOKEN_LIFETIMES, coerce=int, default=90)
