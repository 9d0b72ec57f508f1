"""A client written only from the API's OpenAPI document: book, approve, check in, check out, and read
the month's utilization report.

    python tools/api_client.py http://127.0.0.1:5000 --token MEMBER_TOKEN --manager-token MANAGER_TOKEN
    python tools/api_client.py URL --token T --manager-token M --resource-id 7 --wait

Standard library only. It downloads /api/v1/openapi.json and finds every operation there by its
operationId (list_resources, resource_availability, create_booking, approve_booking, check_in,
check_out, get_booking, utilization_report): method, path, parameter names and the request bodies'
fields all come from the document, and a call that does not fit it is refused before it is sent.

The member's token books the earliest free slot of a resource that both tokens see (the member's
enterprise books it, the manager runs it), preferring one that needs approval and can be used soon;
the manager's token approves. The member checks in and out where the facility lets enterprises check
themselves in, else the manager does. Check-in opens 30 minutes before the start: when the earliest
slot is later, ``--wait`` waits for it, otherwise the run stops after the approval.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

DOCUMENT = "/api/v1/openapi.json"
CHECK_IN_OPENS = timedelta(minutes=30)
METHODS = ("get", "post", "put", "patch", "delete")


class ApiError(Exception):
    def __init__(self, operation_id: str, status: int, body):
        self.status, self.body = status, body
        error = body.get("error", {}) if isinstance(body, dict) else {}
        super().__init__(f"{operation_id}: HTTP {status} {error.get('code', '')} {error.get('message', body)}")


class Api:
    """The operations of one OpenAPI document, called with one bearer token."""

    def __init__(self, base_url: str, document: dict, token: str):
        self.base_url, self.document, self.token = base_url.rstrip("/"), document, token
        self.operations = {op["operationId"]: (method, path, op)
                           for path, item in document["paths"].items()
                           for method, op in item.items() if method in METHODS}

    @staticmethod
    def fetch_document(base_url: str) -> dict:
        with urllib.request.urlopen(base_url.rstrip("/") + DOCUMENT, timeout=30) as response:
            return json.load(response)

    def _schema(self, schema: dict) -> dict:
        while "$ref" in schema:
            schema = self.document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def call(self, operation_id: str, *, path: dict | None = None, query: dict | None = None,
             body: dict | None = None, headers: dict | None = None) -> dict:
        """The operation's answer (its JSON body, or {} when it has none); ApiError for any error status."""
        method, template, op = self.operations[operation_id]
        params = {(p["in"], p["name"]): p for p in op.get("parameters", [])}
        path, query, headers = dict(path or {}), dict(query or {}), dict(headers or {})
        for where, given in (("path", path), ("query", query), ("header", headers)):
            unknown = [name for name in given if (where, name) not in params]
            missing = [name for (kind, name), p in params.items()
                       if kind == where and p.get("required") and name not in given]
            if unknown or missing:
                raise ValueError(f"{operation_id}: {where} parameters unknown {unknown}, missing {missing}")
        data = None
        if body is not None:
            if "requestBody" not in op:
                raise ValueError(f"{operation_id} takes no body")
            schema = self._schema(op["requestBody"]["content"]["application/json"]["schema"])
            unknown = sorted(set(body) - set(schema.get("properties", {})))
            missing = sorted(set(schema.get("required", [])) - set(body))
            if unknown or missing:
                raise ValueError(f"{operation_id}: body fields unknown {unknown}, missing {missing}")
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        url = self.base_url + template.format(**{k: urllib.parse.quote(str(v)) for k, v in path.items()})
        if query:
            url += "?" + urllib.parse.urlencode(query)
        headers["Authorization"] = f"Bearer {self.token}"
        headers.setdefault("Accept", "application/json")
        request = urllib.request.Request(url, data=data, method=method.upper(), headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            raw = error.read()
            raise ApiError(operation_id, error.code, json.loads(raw) if raw else {}) from None
        return json.loads(raw) if raw else {}


def earliest_slot(resource: dict, availability: dict, now: datetime) -> tuple[datetime, datetime] | None:
    """The first start on the resource's slot grid (local time) at least the notice ahead, lasting the
    shortest allowed booking, inside the bookable time and clear of every booking shown busy."""
    rules, tz = resource["rules"], ZoneInfo(resource["timezone"])
    slot = timedelta(minutes=rules["slot_minutes"])
    length = timedelta(minutes=max(rules["min_minutes"], rules["slot_minutes"]))
    buffer = timedelta(minutes=rules["buffer_minutes"])
    earliest = now + timedelta(minutes=rules["min_notice_minutes"])
    busy = [(parse(b["start"]), parse(b["blocked_until"])) for b in availability["busy"]]
    for window in availability["bookable"]:
        lo, hi = parse(window["start"]), parse(window["end"])
        local = max(lo, earliest).astimezone(tz)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        steps = -(-(local - midnight) // slot)  # the first slot boundary at or after it
        start = (midnight + steps * slot).astimezone(UTC)
        while start + length <= hi:
            end = start + length
            if not any(b_start < end + buffer and start < b_end for b_start, b_end in busy):
                return start, end
            start += slot
    return None


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def month_of(day: date) -> tuple[str, str]:
    first = day.replace(day=1)
    after = (first + timedelta(days=32)).replace(day=1)
    return first.isoformat(), after.isoformat()


def choose_resource(member: Api, manager: Api, resource_id: int | None) -> dict:
    mine = {r["id"]: r for r in member.call("list_resources")["resources"]}
    managed = {r["id"] for r in manager.call("list_resources")["resources"]}
    if resource_id is not None:
        if resource_id not in mine:
            raise SystemExit(f"the member's token does not see resource {resource_id}")
        return mine[resource_id]
    both = [r for r in mine.values() if r["id"] in managed and r["active"]]
    if not both:
        raise SystemExit("no resource is seen by both tokens")
    # Approval needed first (that is the step to show), then the shortest notice (to check in soon).
    return min(both, key=lambda r: (not r["requires_approval"], r["rules"]["min_notice_minutes"], r["id"]))


def run(base_url: str, member_token: str, manager_token: str, *, resource_id: int | None = None,
        wait: bool = False, say=print) -> dict:
    """The whole journey; returns what it did: the resource, the booking and the month's report group."""
    document = Api.fetch_document(base_url)
    say(f"{document['info']['title']} {document['info']['version']}: {len(document['paths'])} paths")
    member, manager = Api(base_url, document, member_token), Api(base_url, document, manager_token)
    now = datetime.now(UTC)

    resource = choose_resource(member, manager, resource_id)
    say(f"resource {resource['id']} {resource['name']} ({resource['timezone']}), "
        f"approval {'needed' if resource['requires_approval'] else 'automatic'}")
    window = {"start": now.isoformat(timespec="seconds"),
              "end": (now + timedelta(days=14)).isoformat(timespec="seconds")}
    availability = member.call("resource_availability", path={"resource_id": resource["id"]}, query=window)
    found = earliest_slot(resource, availability, now)
    if found is None:
        raise SystemExit("no free slot in the next two weeks")
    start, end = found
    tz = ZoneInfo(resource["timezone"])
    say(f"free from {start.astimezone(tz).isoformat()} to {end.astimezone(tz).isoformat()}")

    booking = member.call("create_booking", headers={"Idempotency-Key": str(uuid.uuid4())}, body={
        "resource_id": resource["id"], "start": start.astimezone(tz).isoformat(),
        "end": end.astimezone(tz).isoformat(), "purpose": "booked from the OpenAPI document"})
    say(f"booking {booking['id']} requested: {booking['status']}")
    if booking["status"] == "pending":
        booking = manager.call("approve_booking", path={"booking_id": booking["id"]})
        say(f"booking {booking['id']} approved by the manager: {booking['status']}")

    opens = start - CHECK_IN_OPENS
    if datetime.now(UTC) < opens:
        if not wait:
            say(f"check-in opens at {opens.astimezone(tz).isoformat()}; run with --wait to wait for it")
            return {"resource": resource, "booking": booking, "report": None}
        say(f"waiting until {opens.astimezone(tz).isoformat()} for check-in")
        time.sleep(max(0.0, (opens - datetime.now(UTC)).total_seconds()) + 1)

    recorder = member
    try:
        booking = member.call("check_in", path={"booking_id": booking["id"]}, body={})
    except ApiError as error:
        if error.status != 403:
            raise
        recorder = manager  # the facility's managers record use where enterprises may not
        booking = manager.call("check_in", path={"booking_id": booking["id"]}, body={})
    who = "the member" if recorder is member else "the manager"
    say(f"booking {booking['id']} checked in by {who} at {booking['usage']['actual_start']}: {booking['status']}")
    booking = recorder.call("check_out", path={"booking_id": booking["id"]}, body={"notes": "done"})
    say(f"booking {booking['id']} checked out at {booking['usage']['actual_end']}: {booking['status']}")
    booking = member.call("get_booking", path={"booking_id": booking["id"]})

    first, after = month_of(start.astimezone(tz).date())
    report = manager.call("utilization_report", query={"start": first, "end": after, "group_by": "resource",
                                                       "resource_id": resource["id"]})
    group = next((g for g in report["groups"] if g.get("resource_id") == resource["id"]), None)
    if group is None:
        say(f"the report for {first} to {after} has no line for resource {resource['id']}")
    else:
        say(f"utilization {first} to {after} of {group['name']}: {group['sessions']} sessions, "
            f"{group['booked_hours']} h booked, {group['actual_hours']} h used, "
            f"utilization {group['booked_utilization']}")
    return {"resource": resource, "booking": booking, "report": report, "group": group}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url", help="e.g. http://127.0.0.1:5000")
    parser.add_argument("--token", required=True, help="an API token of an enterprise's member (read write)")
    parser.add_argument("--manager-token", required=True, help="an API token of the resource's manager")
    parser.add_argument("--resource-id", type=int, help="the resource to book (default: chosen)")
    parser.add_argument("--wait", action="store_true", help="wait for check-in to open")
    args = parser.parse_args(argv)
    try:
        done = run(args.base_url, args.token, args.manager_token, resource_id=args.resource_id, wait=args.wait)
    except ApiError as error:
        print(error, file=sys.stderr)
        return 1
    return 0 if done["booking"]["status"] == "completed" else 2


if __name__ == "__main__":
    sys.exit(main())
