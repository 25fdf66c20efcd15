"""Verify one subject by USCC, resident ID or NHSA code (DESIGN 9): a signed answer."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter
from pydantic import BaseModel

from api.calls import answered
from api.partners import partner_of, scope_guard
from credit.feeds import verify as verification
from credit.feeds.verify import IdentifierType

Identifier = Annotated[
    str,
    Parameter(
        query="id", min_length=1, max_length=40, description="USCC, resident ID or NHSA code"
    ),
]
DeclaredType = Annotated[
    IdentifierType | None,
    Parameter(
        query="type", description="say which identifier it is (read from its form otherwise)"
    ),
]


class Listing(BaseModel):
    list: str
    entry_id: int
    status: str
    since: date | None
    until: date | None
    basis: dict[str, Any]


class VerificationPublic(BaseModel):
    identifier_type: str
    found: bool
    subject: dict[str, Any] | None
    listed: bool
    lists: list[Listing]
    checked_on: date


SIGNED_VERIFICATION = ResponseSpec(
    VerificationPublic, description="signed (Content-Digest, Signature)"
)


class VerifyController(Controller):
    path = "/verify"
    tags = ["feeds"]

    @get("/", guards=[scope_guard("verify")], responses={200: SIGNED_VERIFICATION})
    async def verify_subject(
        self,
        request: Request[Any, Any, Any],
        identifier: Identifier,
        declared: DeclaredType = None,
    ) -> Response[bytes]:
        """Whether the subject is on a list now, which, since and until when, on what basis."""
        partner = partner_of(request)
        async with partner.reads() as statements:
            found = await verification.verify(
                statements, request.user, partner.pii, identifier, declared
            )
        answered(request, len(found.lists))
        return await partner.signer.json(found.payload())
