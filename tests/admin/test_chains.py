"""Administrators manage chains: fields, time zone, member enterprises and committee."""
from sqlalchemy import select

from booking.accounts.permissions import roles_of
from booking.extensions import db
from booking.organisation.models import Chain

from .conftest import audit, text


def chain_form(**overrides):
    data = {"name": "南庄陶瓷产业链", "name_en": "Nanzhuang ceramics chain", "description": "三个陶瓷交易中心",
            "timezone": "Asia/Shanghai"}
    data.update(overrides)
    return data


def test_administrator_creates_a_chain_with_enterprises_and_committee(client, auth, scene):
    auth.login(scene.admin)
    response = client.post("/admin/chains/new", data=chain_form(
        show_booker_names="y", enterprise_ids=[scene.enterprise.id, scene.other_enterprise.id],
        committee_ids=[scene.member.id]))
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/chains")
    chain = db.session.scalar(select(Chain).where(Chain.name == "南庄陶瓷产业链"))
    assert chain.name_en == "Nanzhuang ceramics chain" and chain.show_booker_names
    assert {e.id for e in chain.enterprises} == {scene.enterprise.id, scene.other_enterprise.id}
    assert [u.id for u in chain.committee] == [scene.member.id]
    assert chain.id in roles_of(scene.member).committee_chain_ids
    [entry] = audit("chain_created", chain.id)
    assert entry.actor_id == scene.admin.id and entry.details["committee_ids"] == [scene.member.id]
    assert "南庄陶瓷产业链" in text(client.get("/admin/chains"))


def test_administrator_edits_a_chain_and_the_change_is_audited(client, auth, scene):
    auth.login(scene.admin)
    page = client.get(f"/admin/chains/{scene.chain.id}")
    assert 'value="泽国鞋帽产业链"' in text(page)
    response = client.post(f"/admin/chains/{scene.chain.id}", data=chain_form(
        name="泽国鞋帽服装产业链", timezone="Asia/Urumqi", enterprise_ids=[scene.enterprise.id]))
    assert response.status_code == 302
    db.session.refresh(scene.chain)
    assert scene.chain.name == "泽国鞋帽服装产业链" and scene.chain.timezone == "Asia/Urumqi"
    assert [e.id for e in scene.chain.enterprises] == [scene.enterprise.id]
    assert scene.chain.committee == []  # nobody chosen: the committee is emptied
    [entry] = audit("chain_updated", scene.chain.id)
    assert entry.details["changes"]["name"] == ["泽国鞋帽产业链", "泽国鞋帽服装产业链"]
    assert entry.details["enterprise_ids"] == [scene.enterprise.id]


def test_unknown_time_zone_is_refused_on_its_field(client, auth, scene):
    auth.login(scene.admin)
    response = client.post("/admin/chains/new", data=chain_form(timezone="Asia/Atlantis"))
    assert response.status_code == 422
    assert "Unknown time zone" in text(response)
    assert db.session.scalar(select(Chain).where(Chain.name == "南庄陶瓷产业链")) is None
    assert audit("chain_created") == []


def test_duplicate_chain_name_is_a_form_error_not_a_crash(client, auth, scene):
    auth.login(scene.admin)
    response = client.post("/admin/chains/new", data=chain_form(name=scene.other_chain.name))
    assert response.status_code == 422
    assert "A chain with this name exists already." in text(response)
    renamed = client.post(f"/admin/chains/{scene.chain.id}", data=chain_form(name=scene.other_chain.name))
    assert renamed.status_code == 422
    db.session.refresh(scene.chain)
    assert scene.chain.name == "泽国鞋帽产业链"


def test_missing_name_re_renders_the_form(client, auth, scene):
    auth.login(scene.admin)
    response = client.post("/admin/chains/new", data=chain_form(name=""))
    assert response.status_code == 422
    assert "This field is required." in text(response)
