"""Administrators manage enterprises; the unified social credit code is checked digit and all."""
import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.organisation.models import Enterprise
from booking.organisation.uscc import CHARSET, make_uscc

from .conftest import audit, text

VALID = make_uscc(4242)


def enterprise_form(**overrides):
    data = {"name": "创泰活塞", "name_en": "Chuangtai Piston", "uscc": VALID, "contact_name": "王经理",
            "contact_phone": "0794-1234567", "contact_email": "Contact@Chuangtai.example", "active": "y"}
    data.update(overrides)
    return data


def wrong_check_digit(code: str) -> str:
    return code[:17] + next(ch for ch in CHARSET if ch != code[17])


def test_administrator_creates_an_enterprise_in_chains(client, auth, scene):
    auth.login(scene.admin)
    response = client.post("/admin/enterprises/new", data=enterprise_form(
        chain_ids=[scene.chain.id, scene.other_chain.id]))
    assert response.status_code == 302
    enterprise = db.session.scalar(select(Enterprise).where(Enterprise.name == "创泰活塞"))
    assert enterprise.uscc == VALID and enterprise.active
    assert enterprise.contact_email == "contact@chuangtai.example"
    assert {c.id for c in enterprise.chains} == {scene.chain.id, scene.other_chain.id}
    [entry] = audit("enterprise_created", enterprise.id)
    assert entry.actor_id == scene.admin.id and entry.details["changes"]["uscc"] == [None, VALID]


def test_credit_code_is_normalised_before_it_is_checked(client, auth, scene):
    auth.login(scene.admin)
    typed = " " + VALID[:9].lower() + " " + VALID[9:].lower() + " "
    assert client.post("/admin/enterprises/new", data=enterprise_form(uscc=typed)).status_code == 302
    assert db.session.scalar(select(Enterprise.uscc).where(Enterprise.name == "创泰活塞")) == VALID


def test_wrong_check_digit_is_named_in_the_error(client, auth, scene):
    auth.login(scene.admin)
    response = client.post("/admin/enterprises/new", data=enterprise_form(uscc=wrong_check_digit(VALID)))
    assert response.status_code == 422
    assert "check digit" in text(response)
    assert db.session.scalar(select(Enterprise).where(Enterprise.name == "创泰活塞")) is None


@pytest.mark.parametrize("bad", [VALID[:17], VALID + "1", "91331081MA0000I42X", "O" + VALID[1:], "91ABCDEFMA00042420"],
                         ids=["too short", "too long", "letter I", "letter O", "region not digits"])
def test_malformed_credit_code_says_what_the_code_must_look_like(client, auth, scene, bad):
    auth.login(scene.admin)
    response = client.post("/admin/enterprises/new", data=enterprise_form(uscc=bad))
    assert response.status_code == 422
    assert "18 characters" in text(response)
    assert audit("enterprise_created") == []


def test_duplicate_name_or_credit_code_is_a_form_error(client, auth, scene):
    auth.login(scene.admin)
    same_name = client.post("/admin/enterprises/new", data=enterprise_form(name=scene.enterprise.name))
    assert same_name.status_code == 422
    assert "An enterprise with this name exists already." in text(same_name)
    same_code = client.post("/admin/enterprises/new", data=enterprise_form(uscc=scene.enterprise.uscc.lower()))
    assert same_code.status_code == 422
    assert "Another enterprise is registered with this unified social credit code." in text(same_code)


def test_administrator_edits_an_enterprise_and_deactivates_it(client, auth, scene):
    auth.login(scene.admin)
    page = client.get(f"/admin/enterprises/{scene.enterprise.id}")
    assert scene.enterprise.uscc in text(page)
    response = client.post(f"/admin/enterprises/{scene.enterprise.id}", data=enterprise_form(
        name="温岭鞋业集团", uscc=scene.enterprise.uscc, active="", chain_ids=[scene.other_chain.id]))
    assert response.status_code == 302
    db.session.refresh(scene.enterprise)
    assert scene.enterprise.name == "温岭鞋业集团" and not scene.enterprise.active
    assert [c.id for c in scene.enterprise.chains] == [scene.other_chain.id]
    [entry] = audit("enterprise_updated", scene.enterprise.id)
    assert entry.details["changes"]["active"] == [True, False]
    assert entry.details["chain_ids"] == [scene.other_chain.id]


def test_invalid_contact_email_is_refused(client, auth, scene):
    auth.login(scene.admin)
    response = client.post("/admin/enterprises/new", data=enterprise_form(contact_email="not-an-address"))
    assert response.status_code == 422
    assert "valid e-mail" in text(response)


def test_enterprise_list_searches_by_name_and_credit_code(client, auth, scene):
    auth.login(scene.admin)
    by_name = text(client.get("/admin/enterprises", query_string={"q": "帽业"}))
    assert "泽国帽业" in by_name and "温岭鞋业" not in by_name
    by_code = text(client.get("/admin/enterprises", query_string={"q": scene.enterprise.uscc[-8:].lower()}))
    assert "温岭鞋业" in by_code and "泽国帽业" not in by_code
    by_english = text(client.get("/admin/enterprises", query_string={"q": "wenling"}))
    assert "温岭鞋业" in by_english
    nothing = text(client.get("/admin/enterprises", query_string={"q": "100%_"}))
    assert "No enterprises found." in nothing
