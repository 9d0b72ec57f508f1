"""API tokens: a caller lists, creates and revokes their own tokens.

The secret is answered once, by the POST that creates the token, and kept nowhere:
only its SHA-256 is stored. That is also why creating a token takes no
Idempotency-Key: a replayed answer would have to keep the secret. A retry after a
lost answer creates a second token; list the tokens and revoke the one not needed.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Literal

from flask import g, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import Field

from ..accounts import services
from ..accounts.models import ApiToken
from ..errors import InvalidInput
from ..timeutil import iso, utcnow
from . import bp
from .schemas import N_, Body, Instant, OptionalTimestamp, Out, Text, Timestamp
from .spec import operation

TAGS = ("tokens",)
MAX_DAYS = 3650

Scope = Literal[tuple(services.SCOPES)]


class TokenOut(Out):
    id: int
    name: str
    scopes: list[Scope] = Field(
        description=N_("`read`: `GET`; `write`: changes; `admin`: the administration endpoints"))
    created_at: Timestamp
    expires_at: OptionalTimestamp = Field(description=N_("`null`: the token does not expire"))
    last_used_at: OptionalTimestamp = Field(description=N_("to the minute"))
    revoked_at: OptionalTimestamp


class TokenCreated(TokenOut):
    token: str = Field(description=N_("the secret, for Authorization: Bearer <token>; answered this once only"))


class TokenList(Out):
    tokens: list[TokenOut]


class TokenRequest(Body):
    name: Text(services.MAX_TOKEN_NAME, min_length=1) = Field(description=N_("to recognise the token by"))
    scopes: list[Scope] = Field(min_length=1, max_length=3, description=N_("at most those of the token used to "
                                                                         "create it; admin only for "
                                                                         "administrators and enterprise admins"))
    expires_at: Instant | None = Field(None, description=N_("when the token stops working (or expires_in_days)"))
    expires_in_days: int | None = Field(None, ge=1, le=MAX_DAYS, description=N_("the token stops working this many "
                                                                             "days from now"))


def token_json(token: ApiToken) -> dict:
    return {"id": token.id, "name": token.name, "scopes": token.scopes.split(), "created_at": iso(token.created_at),
            "expires_at": iso(token.expires_at), "last_used_at": iso(token.last_used_at),
            "revoked_at": iso(token.revoked_at)}


@bp.get("/tokens")
@operation(_l("List the caller's own API tokens (never their secrets)"), tags=TAGS, response=TokenList)
def list_tokens():
    return {"tokens": [token_json(t) for t in services.list_api_tokens(g.api_user)]}


@bp.post("/tokens")
@operation(_l("Create an API token; the answer holds its secret, this once"), tags=TAGS, body=TokenRequest,
           response=TokenCreated, status=201, headers={"Location": _l("the new token")},
           description=_l("Not idempotent: the secret is never stored, so no answer can be replayed. A retry "
                          "creates another token; revoke the one not needed."))
def create_token(body: TokenRequest):
    expires_at = body.expires_at
    if body.expires_in_days is not None:
        if expires_at is not None:
            raise InvalidInput(_("Give expires_at or expires_in_days, not both."), code="invalid_value",
                               field="expires_in_days")
        expires_at = utcnow() + timedelta(days=body.expires_in_days)
    token, secret = services.issue_api_token(g.api_user, g.api_roles, body.name, body.scopes,
                                             expires_at=expires_at, within=g.api_token.scopes.split())
    return {**token_json(token), "token": secret}, 201, {"Location": url_for(".get_token", token_id=token.id)}


@bp.get("/tokens/<int:token_id>")
@operation(_l("Read one of the caller's API tokens (never its secret)"), tags=TAGS, response=TokenOut)
def get_token(token_id: int):
    return token_json(services.get_api_token(g.api_user, token_id))


@bp.delete("/tokens/<int:token_id>")
@operation(_l("Revoke one of the caller's API tokens: it stops working at once"), tags=TAGS, status=204)
def revoke_token(token_id: int):
    services.revoke_api_token(g.api_user, services.get_api_token(g.api_user, token_id))
    return "", 204
