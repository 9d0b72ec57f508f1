"""API fixtures: a chain with every role in it, and a client that speaks with bearer tokens.

The test client (tests/conftest.py) commits what a test set up before each
request and runs the request in a context of its own, as in production.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from booking.accounts.models import User
from booking.facilities.models import Facility
from booking.organisation.models import Chain


@dataclass
class Scene:
    chain: Chain
    facility: Facility
    member: User       # books for their enterprise
    colleague: User    # same enterprise as member
    rival: User        # another enterprise of the same chain
    manager: User      # manages ``facility``
    committee: User    # committee of ``chain``
    admin: User
    outsider: User     # an enterprise of another chain


@pytest.fixture
def scene(make) -> Scene:
    chain = make.chain(name="泽国鞋帽产业链", name_en="Zeguo footwear chain")
    facility = make.facility(chain, name="春雨生产线", name_en="Chunyu production line", kind="production_line")
    member = make.member(chain)
    scene = Scene(chain=chain, facility=facility, member=member,
                  colleague=make.user(member.membership.enterprise), rival=make.member(chain),
                  manager=make.manager(facility), committee=make.committee(chain), admin=make.admin(),
                  outsider=make.member())
    return scene


class ApiClient:
    def __init__(self, client, make):
        self.client, self.make = client, make
        self._tokens: dict[int, str] = {}

    def token(self, user: User) -> str:
        if user.id not in self._tokens:
            self._tokens[user.id] = self.make.token(user)
        return self._tokens[user.id]

    def _headers(self, user, token, headers):
        headers = dict(headers or {})
        if token is None and user is not None:
            token = self.token(user)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def get(self, path: str, user: User | None = None, *, token: str | None = None, headers=None, **kw):
        return self.client.get(path, headers=self._headers(user, token, headers), **kw)

    def post(self, path: str, user: User | None = None, *, token: str | None = None, headers=None, **kw):
        return self.client.post(path, headers=self._headers(user, token, headers), **kw)


@pytest.fixture
def api(client, make) -> ApiClient:
    return ApiClient(client, make)


