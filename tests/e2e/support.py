"""Whether the browser journeys can run here, and the words a Chinese reader sees.

Playwright is not imported here, so that the suite is collected (and the journeys skipped) on a
machine without it.
"""
from __future__ import annotations

import importlib.util
import os
from functools import cache
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CATALOGUES = Path(__file__).resolve().parents[2] / "booking" / "translations"


def missing_browser() -> str | None:
    """Why the journeys cannot run here, or None."""
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)"
    return None


def require_browser() -> None:
    """Skip the calling test module without a browser; with LIANXIANG_REQUIRE_BROWSER=1 (CI),
    fail instead, so that a green run always means the journeys ran."""
    reason = missing_browser()
    if reason is None:
        return
    if os.environ.get("LIANXIANG_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests required (LIANXIANG_REQUIRE_BROWSER=1) but cannot run: {reason}",
                    pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}", allow_module_level=True)


@cache
def _catalogue(locale: str) -> dict[str, str]:
    from babel.core import Locale
    from babel.messages.pofile import read_po
    path = CATALOGUES / str(Locale.parse(locale)) / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    return {m.id: m.string for m in catalog if isinstance(m.id, str) and m.id and m.string and not m.fuzzy}


def zh(msgid: str, **variables) -> str:
    """What a Chinese reader sees for ``msgid``: the catalogue's translation (fuzzy ones left out, as
    when compiled), so that the journeys follow the catalogue when a wording changes."""
    text = _catalogue("zh_CN").get(msgid, msgid)
    return text % variables if variables else text


def en(msgid: str, **variables) -> str:
    return msgid % variables if variables else msgid
