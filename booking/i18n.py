"""Locale-aware pieces that gettext alone does not give: lists, dates, times, numbers and money.

Chinese readers get the ISO-like dates of Chinese business software ("2026-11-24 09:00",
"2026-11-24 周二"); English readers "24 Nov 2026, 09:00" and "Tue 24 Nov 2026". Times are 24-hour
in both. Machine formats (CSV cells, API and .ics timestamps) never come through here.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from babel.lists import format_list
from flask_babel import format_date, format_datetime, format_decimal, get_locale

# CLDR patterns per language and style; a style not listed falls back to the Chinese pattern.
PATTERNS = {
    "zh": {"datetime": "yyyy-MM-dd HH:mm", "date": "yyyy-MM-dd", "day": "yyyy-MM-dd EEE", "time": "HH:mm",
           "short": "MM-dd HH:mm", "short_date": "MM-dd", "month": "yyyy-MM"},
    "en": {"datetime": "d MMM yyyy, HH:mm", "date": "d MMM yyyy", "day": "EEE d MMM yyyy", "time": "HH:mm",
           "short": "d MMM HH:mm", "short_date": "d MMM", "month": "MMM yyyy"},
}
DATE_STYLES = ("date", "day", "short_date", "month")
CURRENCY_SYMBOLS = {"CNY": "¥"}


def _language() -> str:
    locale = get_locale()
    return locale.language if locale is not None and locale.language in PATTERNS else "zh"


def pattern(style: str) -> str:
    """The CLDR pattern of ``style`` (see PATTERNS) for the current locale; anything else is taken
    as a CLDR pattern of its own (a form field's fixed "HH:mm")."""
    return PATTERNS[_language()].get(style) or PATTERNS["zh"].get(style) or style


def join(items: Iterable[str]) -> str:
    """["周二", "周四"] → "周二和周四" in Chinese, "Tue and Thu" in English."""
    items = [str(item) for item in items]
    return format_list(items, style="standard", locale=get_locale() or "zh_Hans_CN") if items else ""


def moment(value: datetime | date | None, tz=None, style: str = "datetime") -> str:
    """``value`` in time zone ``tz`` (a ZoneInfo or its name; None: the app's default zone) as
    ``style`` for the reader's locale. A date is shown as a date."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return format_date(value, pattern(style if style in DATE_STYLES else "date"))
    if tz is None:
        return format_datetime(value, pattern(style))
    if isinstance(tz, str):
        from .timeutil import zone
        tz = zone(tz)
    local = value.astimezone(tz)
    if style in DATE_STYLES:
        return format_date(local.date(), pattern(style))
    return format_datetime(local, pattern(style), rebase=False)


def span(start: datetime, end: datetime, tz=None, style: str = "datetime") -> str:
    """A time range: "2026-11-24 09:00–12:00" on one day (an end at midnight shows as 24:00),
    "2026-11-24 20:00 – 2026-11-25 02:00" across days."""
    if start is None or end is None:
        return moment(start, tz, style)
    if tz is not None:
        from .timeutil import zone
        tz = zone(tz) if isinstance(tz, str) else tz
        local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    else:
        local_start, local_end = start, end
    if local_end.date() == local_start.date():
        return f"{moment(start, tz, style)}–{moment(end, tz, 'time')}"
    if local_end.date() == local_start.date() + timedelta(days=1) and local_end.time() == time.min:
        return f"{moment(start, tz, style)}–24:00"
    return f"{moment(start, tz, style)} – {moment(end, tz, style)}"


def number(value: Decimal | float | None, places: int | None = None) -> str:
    """1200.5 → "1,200.5"; ``places`` fixes the decimals (2: "1,200.50"), else up to two are shown."""
    if value is None:
        return ""
    return format_decimal(value, "#,##0." + ("0" * places if places is not None else "##"))


def money(value: Decimal | None, currency: str = "CNY") -> str:
    """Amounts to the cent with the currency's symbol: ¥1,234.50 and -¥12.00 (an unknown
    currency by its code: "USD 3.00")."""
    if value is None:
        return ""
    sign = "-" if value < 0 else ""
    symbol = CURRENCY_SYMBOLS.get(currency, f"{currency} ")
    return sign + symbol + format_decimal(abs(value), "#,##0.00")
