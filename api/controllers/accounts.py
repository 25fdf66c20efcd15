"""Accounts (admin only)."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import FromQuery, JSONBody
from pydantic import BaseModel

from api.deps import CurrentActor, DbSession
from api.guards import admins
from credit.accounts import repository
from credit.accounts import service as accounts
from credit.accounts.models import Account, AccountCreate, AccountPublic
from credit.kernel.pagination import check_limit, decode_cursor, encode_cursor


class AccountPage(BaseModel):
    items: list[AccountPublic]
    next_cursor: str | None


def _public(account: Account) -> AccountPublic:
    return AccountPublic.model_validate(account, from_attributes=True)


class AccountController(Controller):
    path = "/accounts"
    tags = ["accounts"]
    guards = [admins]

    @post("/")
    async def create_account(
        self, data: JSONBody[AccountCreate], db_session: DbSession, actor: CurrentActor
    ) -> AccountPublic:
        """Create an account; a `subject` account is bound to one subject."""
        if data.subject_id is not None:
            from credit.subjects.service import get_subject

            await get_subject(db_session, data.subject_id, field="subject_id")
        return _public(await accounts.create_account(db_session, actor, data))

    @get("/")
    async def list_accounts(
        self,
        db_session: DbSession,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int] = 50,
    ) -> AccountPage:
        """Accounts in creation order."""
        rows = await repository.accounts_page(db_session, decode_cursor(cursor), check_limit(limit))
        next_cursor = encode_cursor(rows[-1].id) if len(rows) == limit and rows[-1].id else None
        return AccountPage(items=[_public(row) for row in rows], next_cursor=next_cursor)
