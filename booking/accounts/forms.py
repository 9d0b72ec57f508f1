from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, EmailField, HiddenField, PasswordField, SelectField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in"))
    next = HiddenField()


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords do not match."))])


class LanguageForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=[SelectChoice("zh_CN", "中文"), SelectChoice("en", "English")])
    next = HiddenField()
