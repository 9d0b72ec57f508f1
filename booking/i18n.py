"""Locale-aware pieces that gettext alone does not give."""
from __future__ import annotations

from collections.abc import Iterable

from babel.lists import format_list
from flask_babel import get_locale


def join(items: Iterable[str]) -> str:
    """["周二", "周四"] → "周二和周四" in Chinese, "Tue and Thu" in English."""
    items = [str(item) for item in items]
    return format_list(items, style="standard", locale=get_locale() or "zh_Hans_CN") if items else ""
