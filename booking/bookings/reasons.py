"""The reasons the system itself writes on a booking, shown in each reader's language.

A reason is stored as text, in the language of whoever triggered it (zh_CN for background jobs and
the demo). ``shown`` recognises the system's own sentences in any of the app's languages and gives
them in the reader's; what people typed is shown as they typed it.
"""
from __future__ import annotations

import re

from flask import current_app
from flask_babel import force_locale, gettext


def N_(message: str) -> str:
    """Marks a message for `pybabel extract`; it is translated where it is written or shown."""
    return message


AUTO_APPROVED = N_("Approved automatically: this facility needs no approval.")
LOST_TO = N_("The slot was given to another request (booking #%(id)s).")
NOT_CHECKED_IN = N_("Not checked in within the facility's grace period after the start.")
NOT_CHECKED_OUT = N_("Not checked out: closed automatically at the booked end.")
SERIES_MOVED = N_("The time of the series was changed.")
SYSTEM_REASONS = (AUTO_APPROVED, LOST_TO, NOT_CHECKED_IN, NOT_CHECKED_OUT, SERIES_MOVED)


def _patterns() -> list[tuple[re.Pattern, str]]:
    """Each system reason as written in each language, as a pattern (its %(id)s a number); built
    once per app."""
    found = current_app.extensions.get("lianxiang_reasons")
    if found is None:
        found = []
        for language in current_app.config["LANGUAGES"]:
            with force_locale(language):
                for message in SYSTEM_REASONS:
                    pattern = re.escape(gettext(message)).replace(re.escape("%(id)s"), r"(?P<id>\d+)")
                    found.append((re.compile(pattern), message))
        current_app.extensions["lianxiang_reasons"] = found
    return found


def shown(reason: str | None) -> str:
    """``reason`` in the reader's language when the system wrote it, else as it was typed."""
    if not reason:
        return ""
    text = reason.strip()
    for pattern, message in _patterns():
        match = pattern.fullmatch(text)
        if match:
            return gettext(message, **match.groupdict())
    return reason
