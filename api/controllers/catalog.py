"""The credit-information catalog: public regulatory information, readable without login."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from litestar import Controller, get
from litestar.params import FromPath, FromQuery, Parameter
from pydantic import BaseModel

from api.deps import DbSession
from credit.catalog import service as catalog
from credit.catalog.models import CatalogItemPublic
from credit.kernel.clock import business_today
from credit.kernel.errors import NotFound
from credit.policy.vocabulary import Category, Severity
from credit.subjects.kinds import get_kind

ITEM_CODE = re.compile(r"[A-Z][A-Z0-9]*(-[A-Z0-9]+)+")


class CatalogPage(BaseModel):
    """Items of one catalog version, named with the pack version they come from."""

    items: list[CatalogItemPublic]
    next_cursor: str | None = None
    pack_code: str
    pack_version: int
    pack_version_id: int
    effective_from: date


class CatalogController(Controller):
    path = "/catalog/items"
    tags = ["catalog"]

    @get("/", opt={"public": True})
    async def list_catalog_items(
        self,
        db_session: DbSession,
        category: FromQuery[Category | None] = None,
        severity: FromQuery[Severity | None] = None,
        subject_kind: Annotated[str | None, Parameter(max_length=40)] = None,
        version: Annotated[int | None, Parameter(ge=1, le=1_000_000)] = None,
        on: FromQuery[date | None] = None,
    ) -> CatalogPage:
        """Items in force on `on` (today), or every item of national pack `version`."""
        if subject_kind is not None:
            get_kind(subject_kind, field="subject_kind")
        listing = await catalog.items(
            db_session,
            on=on,
            version=version,
            category=category,
            severity=severity,
            subject_kind=subject_kind,
        )
        pack = listing.version
        assert pack.id is not None
        return CatalogPage(
            items=[item.public() for item in listing.items],
            pack_code=pack.code,
            pack_version=pack.version,
            pack_version_id=pack.id,
            effective_from=pack.effective_from,
        )

    @get("/{item_code:str}", opt={"public": True})
    async def read_catalog_item(
        self, item_code: FromPath[str], db_session: DbSession, on: FromQuery[date | None] = None
    ) -> CatalogItemPublic:
        """One item as the catalog in force on `on` (today) defines it."""
        if not ITEM_CODE.fullmatch(item_code):
            raise NotFound(
                f"{item_code} is not a catalog item code", field="item_code", rule="known_item"
            )
        return (await catalog.item_for(db_session, item_code, on or business_today())).public()
