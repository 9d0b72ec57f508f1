"""Chinese first: every user-facing message has a reviewed zh_CN translation, and pages use it."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "booking/translations/zh_Hans_CN/LC_MESSAGES/messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]")


def _strings(message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def _ids(message) -> tuple[str, ...]:
    return message.id if isinstance(message.id, tuple) else (message.id,)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """The messages in the code today, extracted as `make translations-extract` does."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run([str(pybabel), "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-k", "N_",
                    "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as handle:
        return read_po(handle)


@pytest.fixture(scope="module")
def catalogue():
    with CATALOGUE.open("rb") as handle:
        return read_po(handle, locale="zh_CN")


def test_every_message_has_a_chinese_translation(template, catalogue):
    missing = [m.id for m in template if m.id and (
        catalogue.get(m.id) is None or catalogue.get(m.id).fuzzy or not all(_strings(catalogue.get(m.id))))]
    assert missing == [], f"{len(missing)} untranslated or fuzzy: run `make translations-update` and translate"


def test_translations_keep_their_placeholders(catalogue):
    wrong = [m.id for m in catalogue if m.id and any(
        set(PLACEHOLDER.findall(s)) != set(PLACEHOLDER.findall(_ids(m)[-1])) for s in _strings(m) if s)]
    assert wrong == []


def test_pages_speak_chinese_to_chinese_browsers(client, make):
    response = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert "登录" in response.get_data(as_text=True)
    english = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Sign in" in english.get_data(as_text=True)


def test_api_errors_are_translated_with_stable_codes(client, make):
    response = client.get("/api/v1/resources", headers={"Accept-Language": "zh-CN"})
    body = response.get_json()
    assert response.status_code == 401 and body["error"]["code"] == "unauthorized"
    assert re.search(r"[\u4e00-\u9fff]", body["error"]["message"])
