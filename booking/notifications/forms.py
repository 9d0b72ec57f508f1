"""The notification centre's forms: mark all read, and how each kind of message reaches the user."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, ValidationError

from .models import CHANNELS, KINDS, NONE, UNMUTABLE


class MarkAllReadForm(FlaskForm):
    """Only the CSRF token."""


def _not_muted(_form, field) -> None:
    if field.data == NONE:
        raise ValidationError(_("Approval requests cannot be switched off: without them nothing gets decided."))


class PreferencesForm(FlaskForm):
    """One channel choice per kind; ``for_kinds`` builds the form for the kinds a user can receive."""

    @classmethod
    def for_kinds(cls, kinds: list[str], **kwargs) -> PreferencesForm:
        class Form(cls):
            pass
        for kind in kinds:
            validators = [_not_muted] if kind in UNMUTABLE else []
            setattr(Form, kind, SelectField(KINDS[kind], choices=[SelectChoice(k, v) for k, v in CHANNELS.items()],
                                            validators=validators))
        form = Form(**kwargs)
        form.kinds = list(kinds)
        return form

    def kind_fields(self):
        return [self[kind] for kind in self.kinds]

    def chosen(self) -> dict[str, str]:
        return {kind: self[kind].data for kind in self.kinds}
