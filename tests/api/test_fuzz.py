"""Property-based fuzzing of the API from its own OpenAPI document (schemathesis), against a live server.

The demo is served on a free port; the schemathesis command line reads /api/v1/openapi.json over HTTP
and sends generated requests, valid and invalid, to every operation the document declares. No answer
may be a 5xx, every answer must be one the document declares (status code, content type, headers,
body schema), and a request that breaks the document must be refused.

Bounded for CI (well under a minute and a half): as the platform administrator, the boundary values of
every parameter and field (coverage) and a dozen generated requests per operation (fuzzing); as an
enterprise's member, the generated requests. Generation is deterministic, so a failure reproduces;
each is printed with a curl command. Explore further with ``make fuzz`` (FUZZ_THOROUGH=1: every phase
for both accounts, 200 examples per operation, random with a seed it prints), or set FUZZ_EXAMPLES,
FUZZ_SEED (random generation from that seed) and FUZZ_WORKERS yourself. More than one worker trips a
CPython 3.11 bug (concurrent ast.parse inside Hypothesis: "AST constructor recursion depth mismatch").

Half the ids in paths are those of real objects of the demo (a schemathesis dictionary), so that the
requests reach the services and not only the 404 of an unknown id.

The run must not saw off the branch it sits on: the member goes first (the administrator's run may
deactivate members), revoking a token only ever revokes a spare one, and both tokens must still work
at the end, or the run did not test what it claims.
"""
from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from ..live_server import demo_server

THOROUGH = os.environ.get("FUZZ_THOROUGH") == "1"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES") or (200 if THOROUGH else 12))
SEED = os.environ.get("FUZZ_SEED", "")
WORKERS = os.environ.get("FUZZ_WORKERS", "1")
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_headers_conformance", "response_schema_conformance", "negative_data_rejection")
ALL_PHASES = "examples,coverage,fuzzing"
# account: (its e-mail in the demo, the scopes of its token (all it may hold), the phases to run), in order
ACCOUNTS = {
    "member": ("member.a@demo.local", "read write", ALL_PHASES if THOROUGH else "fuzzing"),
    "admin": ("admin@demo.local", "read write admin", ALL_PHASES),
}
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.fixture(scope="module")
def live_api(database_template, tmp_path_factory):
    # Throttling off: the fuzzer sends thousands of requests with one token.
    server = demo_server(database_template, tmp_path_factory.mktemp("fuzz"), RATELIMIT_ENABLED=False)
    yield server
    server.stop()


def fuzz_command(url: str, token: str, phases: str, config: Path) -> list[str]:
    generation = ["--seed", SEED] if SEED else ["--generation-deterministic"]
    return [str(SCHEMATHESIS), "--config-file", str(config), "run", f"{url}/api/v1/openapi.json",
            "--header", f"Authorization: Bearer {token}",
            "--checks", ",".join(CHECKS), "--max-examples", str(EXAMPLES), *generation, "--no-shrink",
            "--phases", phases, "--workers", WORKERS, "--no-color"]


def known_ids(live_api) -> dict[str, list[int]]:
    """Path parameter → ids of real objects: bookings around now, and a few of everything else."""
    from sqlalchemy import select

    from booking.accounts.models import ApiToken
    from booking.bookings.models import Booking, Series
    from booking.calendar.models import CalendarFeed
    from booking.extensions import db
    from booking.facilities.models import Closure, Facility
    from booking.organisation.models import Enterprise, Membership
    from booking.quotas.models import Quota
    from booking.timeutil import utcnow
    from booking.waitlist.models import WaitlistEntry

    def first(column, *where, limit=30):
        return list(db.session.scalars(select(column).where(*where).order_by(column).limit(limit)))

    with live_api.app.app_context():
        found = {
            "booking_id": first(Booking.id, Booking.end_at > utcnow() - timedelta(days=3), limit=80),
            "series_id": first(Series.id), "entry_id": first(WaitlistEntry.id), "quota_id": first(Quota.id),
            "resource_id": first(Facility.id), "closure_id": first(Closure.id), "enterprise_id": first(Enterprise.id),
            "user_id": first(Membership.user_id), "feed_id": first(CalendarFeed.id), "token_id": first(ApiToken.id),
        }
        db.session.remove()
    return {name: ids for name, ids in found.items() if ids}


def fuzz_config(ids: dict[str, list[int]], spare_token: int) -> str:
    """schemathesis.toml: real ids half the time; revoking a token, only the spare one."""
    lines = ["[dictionaries]"]
    lines += [f"{name} = {{ values = {values} }}" for name, values in ids.items()]
    lines += ["", "[parameters]"]
    lines += [f'"path.{name}" = {{ dictionary = "{name}", probability = 0.5 }}' for name in ids]
    lines += ["", "[[operations]]", 'include-operation-id = "revoke_token_delete"',
              f'parameters = {{ "path.token_id" = {spare_token} }}']
    return "\n".join(lines) + "\n"


def still_works(url: str, token: str) -> bool:
    request = urllib.request.Request(f"{url}/api/v1/tokens", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status == 200
    except urllib.error.HTTPError:
        return False


@pytest.mark.parametrize("account", list(ACCOUNTS))
def test_generated_requests_get_documented_answers_and_no_server_error(live_api, account, tmp_path):
    email, scopes, phases = ACCOUNTS[account]
    token = live_api.token(email, scopes)
    spare, _secret = live_api.issue(email, scopes)
    config = tmp_path / "schemathesis.toml"
    config.write_text(fuzz_config(known_ids(live_api), spare))
    # Hypothesis keeps its files out of the repository: in the test's own directory.
    env = {**os.environ, "HYPOTHESIS_STORAGE_DIRECTORY": str(tmp_path / "hypothesis")}
    run = subprocess.run(fuzz_command(live_api.url, token, phases, config), cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=900)
    output = run.stdout + run.stderr
    assert "Operations:" in output, output  # the document was loaded
    assert still_works(live_api.url, token), f"the {account}'s token stopped working during the run:\n{output}"
    if run.returncode != 0:
        start = next((output.find(m) for m in ("=== ERRORS", "=== FAILURES") if m in output), 0)
        seed = f", seed {SEED}" if SEED else ", deterministic"
        pytest.fail(f"schemathesis as {account} ({phases}{seed}; exit {run.returncode}):\n{output[start:]}",
                    pytrace=False)
