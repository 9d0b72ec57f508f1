from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, TimeField
from wtforms.validators import NumberRange, Optional


class FacilityFilterForm(FlaskForm):
    class Meta:
        csrf = False

    kind = SelectField(_l("Kind"), validators=[Optional()], validate_choice=False)
    chain = SelectField(_l("Chain"), validators=[Optional()], validate_choice=False)
    park = SelectField(_l("Park"), validators=[Optional()], validate_choice=False)
    capacity = IntegerField(_l("At least (people)"), validators=[Optional(), NumberRange(min=1, max=100000)])
    free_date = DateField(_l("Free on"), validators=[Optional()])
    free_from = TimeField(_l("from"), validators=[Optional()])
    free_to = TimeField(_l("until"), validators=[Optional()])
