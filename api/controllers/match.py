"""Match names against the subjects (DESIGN 9): up to 100 queries, scored and explained, signed."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from litestar import Controller, Request, Response, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Body
from pydantic import BaseModel, ConfigDict, Field

from api.calls import answered
from api.partners import partner_of, scope_guard
from credit.feeds import match as matching
from credit.kernel.errors import PRINTABLE_TEXT

Code = Annotated[str | None, Field(default=None, max_length=40)]


class MatchQueryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, pattern=PRINTABLE_TEXT)
    kind: str | None = Field(default=None, max_length=40)
    uscc: Code = None
    resident_id: Code = None
    nhsa_code: Code = None
    ref: str | None = Field(default=None, max_length=100, description="echoed back")


class MatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    queries: list[MatchQueryIn] = Field(min_length=1, max_length=matching.MAX_QUERIES)
    max_candidates: int = Field(default=5, ge=1, le=20)


class CandidatePublic(BaseModel):
    subject: dict[str, Any]
    score: float
    matched_on: list[str]
    explanation: list[str]
    lists: list[dict[str, Any]]


class MatchResult(BaseModel):
    index: int
    ref: str | None
    candidates: list[CandidatePublic]


class MatchAnswer(BaseModel):
    results: list[MatchResult]


SIGNED_MATCH = ResponseSpec(MatchAnswer, description="signed (Content-Digest, Signature)")


class MatchController(Controller):
    path = "/match"
    tags = ["feeds"]

    @post("/", guards=[scope_guard("match")], status_code=200, responses={200: SIGNED_MATCH})
    async def match_names(
        self,
        request: Request[Any, Any, Any],
        data: Annotated[MatchRequest, Body()],
    ) -> Response[bytes]:
        """Candidates for each name, best first, with a score and what matched."""
        queries = [
            matching.MatchQuery(
                name=query.name,
                kind=query.kind,
                uscc=query.uscc,
                resident_id=query.resident_id,
                nhsa_code=query.nhsa_code,
            )
            for query in data.queries
        ]
        partner = partner_of(request)
        async with partner.reads() as statements:
            found = await matching.match(
                statements,
                request.user,
                partner.pii,
                queries,
                max_candidates=data.max_candidates,
                postings=partner.gram_postings,
            )
        answered(request, sum(len(candidates) for candidates in found))
        results = [
            {
                "index": index,
                "ref": query.ref,
                "candidates": [asdict(candidate) for candidate in candidates],
            }
            for index, (query, candidates) in enumerate(zip(data.queries, found, strict=True))
        ]
        return await partner.signer.json({"results": results})
