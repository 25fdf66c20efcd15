"""Public pages, no login: the published blacklist and red list, entries, publicity notices and
the published grades of institutions. Personal identifiers only ever appear masked."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from litestar import Controller, Request, get
from litestar.params import Parameter
from litestar.response import Redirect, Template

from api.deps import Pii, ReadSession
from api.web import i18n
from credit.kernel.clock import business_today
from credit.lists import public as public_lists
from indicators import public as public_runs

ONE_YEAR = 365 * 24 * 3600
SearchText = Annotated[str, Parameter(max_length=100)]
PageNumber = Annotated[int, Parameter(ge=1, le=100_000)]


class PublicPages(Controller):
    include_in_schema = False
    opt = {"public": True}

    @get("/")
    async def home(self, read_session: ReadSession) -> Template:
        today = business_today()
        return Template(
            "public/home.html",
            context={
                "counts": await public_lists.counts(read_session, today),
                "runs": await public_runs.public_runs(read_session, limit=5),
                "today": today,
            },
        )

    @get("/lists/{name:str}")
    async def list_page(
        self,
        read_session: ReadSession,
        pii: Pii,
        name: str,
        q: SearchText = "",
        page: PageNumber = 1,
    ) -> Template:
        list_name = public_lists.public_list(name)
        found = await public_lists.published(
            read_session, pii, list_name, business_today(), text=q, page=page
        )
        return Template(
            "public/list.html", context={"list_name": str(list_name), "found": found, "q": q}
        )

    @get("/lists/{name:str}/{entry_id:int}")
    async def entry_page(self, read_session: ReadSession, name: str, entry_id: int) -> Template:
        list_name = public_lists.public_list(name)
        entry = await public_lists.published_entry(
            read_session, list_name, entry_id, business_today()
        )
        return Template("public/entry.html", context={"entry": entry})

    @get("/notices")
    async def notices(self, read_session: ReadSession) -> Template:
        runs = await public_runs.public_runs(read_session)
        return Template("public/notices.html", context={"runs": runs, "today": business_today()})

    @get("/grades/{run_id:int}")
    async def grades(
        self,
        read_session: ReadSession,
        pii: Pii,
        run_id: int,
        q: SearchText = "",
        page: PageNumber = 1,
    ) -> Template:
        found = await public_runs.grades(read_session, pii, run_id, text=q, page=page)
        return Template("public/grades.html", context={"found": found, "q": q})

    @get("/lang/{code:str}")
    async def switch_language(
        self,
        request: Request[Any, Any, Any],
        code: str,
        next_page: Annotated[str, Parameter(query="next", max_length=500)] = "/",
    ) -> Redirect:
        """The language switch: remembered in a cookie; back to the page it was used on."""
        target = urlsplit(next_page)
        local = not target.scheme and not target.netloc and next_page.startswith("/")
        local = local and not next_page.startswith(("//", "/\\"))
        response = Redirect(next_page if local else "/", status_code=303)
        if code in i18n.LANGUAGES:
            response.set_cookie(
                i18n.COOKIE, code, max_age=ONE_YEAR, httponly=True, samesite="lax", path="/"
            )
        return response
