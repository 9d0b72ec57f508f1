"""Done when a script written only from /api/v1/openapi.json can book, approve, check in and pull the
monthly report: tools/api_client.py against the demo on a live server.

The demo's facilities want at least an hour's notice, so nothing booked now could be checked in now.
The test first makes one of them a walk-in room, through the API itself (an administrator changes its
rules, its manager opens it day and night), then runs the script with a member's and the manager's
tokens and checks the result through the API: the booking is completed, the month's report counts it.
"""
from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ..live_server import demo_server

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "api_client.py"
MEMBER, MANAGER, ADMIN = "member.a@demo.local", "manager@demo.local", "admin@demo.local"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def load_script():
    spec = importlib.util.spec_from_file_location("api_client", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def client():
    return load_script()


@pytest.fixture(scope="module")
def live_api(database_template, tmp_path_factory):
    server = demo_server(database_template, tmp_path_factory.mktemp("client"), RATELIMIT_ENABLED=False)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def accounts(live_api, client):
    document = client.Api.fetch_document(live_api.url)
    return {name: client.Api(live_api.url, document, live_api.token(email, scopes))
            for name, email, scopes in (("member", MEMBER, "read write"), ("manager", MANAGER, "read write"),
                                        ("admin", ADMIN, "read write admin"))}


def walk_in_room(accounts) -> dict:
    """A resource the member books and the manager runs, free for the next two hours; made bookable at
    once, any hour of the day, through the API."""
    member, manager, admin = accounts["member"], accounts["manager"], accounts["admin"]
    managed = {r["id"] for r in manager.call("list_resources")["resources"]}
    now = datetime.now(UTC)
    window = {"start": now.isoformat(timespec="seconds"),
              "end": (now + timedelta(hours=2)).isoformat(timespec="seconds")}
    for resource in member.call("list_resources")["resources"]:
        if resource["id"] not in managed or not resource["requires_approval"]:
            continue
        seen = member.call("resource_availability", path={"resource_id": resource["id"]}, query=window)
        if seen["busy"] or seen["closures"]:
            continue
        admin.call("update_resource_patch", path={"resource_id": resource["id"]}, body={"min_notice_minutes": 0})
        return manager.call("set_resource_hours_put", path={"resource_id": resource["id"]},
                            body={day: [["00:00", "24:00"]] for day in DAYS})
    pytest.fail("no resource of the member's chain managed by the manager is free for the next two hours")


def sessions(accounts, resource: dict, month: tuple[str, str]) -> int:
    report = accounts["manager"].call("utilization_report", query={
        "start": month[0], "end": month[1], "group_by": "resource", "resource_id": resource["id"]})
    return sum(g["sessions"] for g in report["groups"] if g["resource_id"] == resource["id"])


def test_a_script_written_from_the_document_books_approves_checks_in_and_reads_the_report(
        live_api, client, accounts):
    resource = walk_in_room(accounts)
    soon = (datetime.now(UTC) + timedelta(minutes=30)).astimezone(ZoneInfo(resource["timezone"])).date()
    before = sessions(accounts, resource, client.month_of(soon))
    said = []

    done = client.run(live_api.url, accounts["member"].token, accounts["manager"].token,
                      resource_id=resource["id"], say=said.append)

    booking = accounts["member"].call("get_booking", path={"booking_id": done["booking"]["id"]})
    assert booking["status"] == "completed", said
    assert [event["to"] for event in booking["history"]] == ["pending", "approved", "checked_in", "completed"]
    assert booking["enterprise"]["name"] and booking["resource_id"] == resource["id"]
    month = client.month_of(datetime.fromisoformat(booking["local_start"]).date())
    assert done["group"]["sessions"] == sessions(accounts, resource, month) == before + 1
    assert any("approved by the manager" in line for line in said), said


def test_the_script_refuses_a_call_its_document_does_not_describe(live_api, client, accounts):
    member = accounts["member"]
    with pytest.raises(ValueError, match="unknown"):
        member.call("create_booking", body={"resource_id": 1, "start": "x", "end": "y", "colour": "red"})
    with pytest.raises(ValueError, match="missing"):
        member.call("resource_availability", path={"resource_id": 1}, query={"start": "2026-01-01T00:00:00Z"})
    with pytest.raises(KeyError):
        member.call("book_everything")
