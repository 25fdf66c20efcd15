"""Accounts and logins: creation, password checks with throttling, the actor of a session."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from credit.accounts import repository
from credit.accounts.models import Account, AccountCreate, LoginThrottle
from credit.accounts.passwords import hash_password, verify_password
from credit.audit import service as audit
from credit.kernel.actor import Actor, Role
from credit.kernel.clock import utcnow
from credit.kernel.errors import Conflict, InvalidInput, TooManyRequests, Unauthorized


def actor_of(account: Account) -> Actor:
    assert account.id is not None
    return Actor(
        role=Role(account.role),
        name=account.username,
        account_id=account.id,
        subject_id=account.subject_id,
    )


async def create_account(session: AsyncSession, actor: Actor, new: AccountCreate) -> Account:
    """Register an account; a subject account must name the subject it speaks for."""
    username = new.username.strip().lower()
    if new.role not in (Role.ADMIN, Role.OFFICER, Role.REVIEWER, Role.SUBJECT):
        raise InvalidInput(
            "role must be admin, officer, reviewer or subject (partners use API keys)",
            field="role",
            rule="account_role",
        )
    if new.role is Role.SUBJECT and new.subject_id is None:
        raise InvalidInput(
            "a subject account needs subject_id", field="subject_id", rule="required_for_subject"
        )
    if new.role is not Role.SUBJECT and new.subject_id is not None:
        raise InvalidInput(
            "only subject accounts are bound to a subject", field="subject_id", rule="subject_only"
        )
    if await repository.account_by_username(session, username):
        raise Conflict(f"user name {username} is taken", field="username", rule="unique")
    account = Account(
        username=username,
        display_name=new.display_name,
        role=new.role,
        subject_id=new.subject_id,
        password_hash=await asyncio.to_thread(hash_password, new.password),
        created_at=utcnow(),
    )
    session.add(account)
    await session.flush()
    await audit.record(
        session,
        actor,
        "account.create",
        "account",
        account.id,
        {"username": username, "role": str(new.role), "subject_id": new.subject_id},
    )
    return account


def _lockout_seconds(failures: int, free_failures: int, max_lockout: int) -> int:
    """No wait for the first few failures, then a wait that doubles with each further one."""
    over = failures - free_failures
    return 0 if over < 0 else min(max_lockout, 2 ** min(over, 20))


async def login(
    session: AsyncSession,
    username: str,
    password: str,
    *,
    free_failures: int,
    max_lockout_seconds: int,
) -> Account:
    """The account whose password matches; failures slow further attempts down.

    The caller commits even when this raises `Unauthorized`, so the failure count is kept.
    """
    username = username.strip().lower()
    now = utcnow()
    throttle = await repository.throttle_for(session, username)
    if throttle and throttle.locked_until and throttle.locked_until > now:
        wait = int((throttle.locked_until - now).total_seconds()) + 1
        raise TooManyRequests(
            f"too many failed logins for this user name; try again in {wait} s",
            retry_after=wait,
            field="username",
            rule="login_throttle",
        )
    account = await repository.account_by_username(session, username)
    # Argon2 is deliberately slow: keep it off the event loop so other requests go on.
    matches = await asyncio.to_thread(
        verify_password, account.password_hash if account else None, password
    )
    if not matches or (account is not None and not account.active):
        throttle = throttle or LoginThrottle(username=username, failures=0, updated_at=now)
        throttle.failures += 1
        throttle.updated_at = now
        wait = _lockout_seconds(throttle.failures, free_failures, max_lockout_seconds)
        throttle.locked_until = now + timedelta(seconds=wait) if wait else None
        session.add(throttle)
        await session.flush()
        raise Unauthorized("user name or password is wrong", field="password", rule="credentials")
    assert account is not None
    if throttle:
        await session.delete(throttle)
    account.last_login_at = now
    await session.flush()
    return account


async def active_actor(session: AsyncSession, account_id: int) -> Actor | None:
    account = await repository.account_by_id(session, account_id)
    if account is None or not account.active:
        return None
    return actor_of(account)
