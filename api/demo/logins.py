"""The demo's accounts, one per role, with fixed passwords so `make run` can always print them.

The passwords are constants printed by every `medcredit demo` run (and so by `make run`): they are
for a demo database on a laptop, never for one holding real subjects.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from api.demo.province import DemoProvince
from credit.accounts import api_keys
from credit.accounts import service as accounts
from credit.accounts.models import AccountCreate
from credit.accounts.repository import account_by_username
from credit.kernel.actor import Actor, Role

PARTNER_AGENCY = "湖南省市场监督管理局（演示）"
PARTNER_SCOPES = ("feed:black", "feed:red", "feed:focus", "feed:measures", "verify", "match")


@dataclass(frozen=True, slots=True)
class DemoLogin:
    username: str
    password: str
    role: Role
    display_name: str
    speaks_for: str = ""  # "hospital" or "physician" for subject accounts
    label: str = ""  # what the login table says the account is for

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", str(self.role))


_HOSPITAL_LABEL = "subject: 长沙市第一人民医院 (sees its staff)"
_PHYSICIAN_LABEL = "subject: a physician practising there"
DEMO_LOGINS = (
    DemoLogin("demo.admin", "demo-admin-2026", Role.ADMIN, "演示管理员"),
    DemoLogin("demo.officer", "demo-officer-2026", Role.OFFICER, "演示经办人员"),
    DemoLogin("demo.reviewer", "demo-reviewer-2026", Role.REVIEWER, "演示审核人员"),
    # A second reviewer, so four-eyes decisions can be tried end to end.
    DemoLogin("demo.reviewer2", "demo-reviewer2-2026", Role.REVIEWER, "演示审核人员二"),
    DemoLogin(
        "demo.hospital", "demo-hospital-2026", Role.SUBJECT, "医保办", "hospital", _HOSPITAL_LABEL
    ),
    DemoLogin(
        "demo.physician", "demo-physician-2026", Role.SUBJECT, "医师", "physician", _PHYSICIAN_LABEL
    ),
)


async def create_demo_logins(
    session: AsyncSession, actor: Actor, province: DemoProvince
) -> list[DemoLogin]:
    """Create every demo account; subject accounts speak for the province's demo subjects."""
    bound = {"hospital": province.hospital_id, "physician": province.physician_id}
    for login in DEMO_LOGINS:
        new = AccountCreate(
            username=login.username,
            password=login.password,
            role=login.role,
            subject_id=bound.get(login.speaks_for),
            display_name=login.display_name,
        )
        await accounts.create_account(session, actor, new)
    return list(DEMO_LOGINS)


async def existing_demo_logins(session: AsyncSession) -> list[DemoLogin]:
    """The demo accounts present in this database (none, if it holds real data instead)."""
    return [login for login in DEMO_LOGINS if await account_by_username(session, login.username)]


async def create_partner_key(session: AsyncSession, actor: Actor, rate_limit: int) -> str:
    """A partner key for the demo agency; its plain text exists only in this return value."""
    _key, plain = await api_keys.create(
        session,
        actor,
        agency=PARTNER_AGENCY,
        scopes=PARTNER_SCOPES,
        rate_limit_per_minute=rate_limit,
    )
    return plain
