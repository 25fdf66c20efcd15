"""Page language: Chinese by default, English on request; messages from gettext catalogs.

Templates write their text in Chinese inside `_()`; `locale/<lang>.po` holds the translations. The
language is the `lang` query parameter when given, else the `medcredit_lang` cookie the language
switch sets, else Chinese.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po
from jinja2 import Environment, pass_context

LANGUAGES = ("zh", "en")
DEFAULT = "zh"
COOKIE = "medcredit_lang"
HTML_LANG = {"zh": "zh-CN", "en": "en"}
LOCALE_DIR = Path(__file__).parent / "locale"


@cache
def catalog(language: str) -> Mapping[str, str]:
    """{Chinese message: translation} for `language` (Chinese needs none)."""
    path = LOCALE_DIR / f"{language}.po"
    if language == DEFAULT or not path.exists():
        return {}
    with path.open("rb") as handle:
        messages = read_po(handle, locale=language)
    return {
        str(message.id): str(message.string)
        for message in messages
        if message.id and isinstance(message.id, str) and message.string
    }


def chosen(query: Mapping[str, Any], cookies: Mapping[str, str]) -> str:
    for value in (query.get("lang"), cookies.get(COOKIE)):
        if value in LANGUAGES:
            return str(value)
    return DEFAULT


def language_of(context: Mapping[str, Any]) -> str:
    """The language of the page being rendered (from its request)."""
    request = context.get("request")
    if request is None:
        return DEFAULT
    return chosen(request.query_params, request.cookies)


def translate(language: str, message: str) -> str:
    return catalog(language).get(message, message)


@pass_context
def _gettext(context: Mapping[str, Any], message: str) -> str:
    return translate(language_of(context), message)


@pass_context
def _ngettext(context: Mapping[str, Any], singular: str, plural: str, count: int) -> str:
    return translate(language_of(context), singular if count == 1 else plural)


@pass_context
def _page_language(context: Mapping[str, Any]) -> str:
    return language_of(context)


def install(environment: Environment) -> None:
    """Give templates `_()`, `ngettext()`, `lang()` and `html_lang()`."""
    environment.add_extension("jinja2.ext.i18n")
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_gettext, ngettext=_ngettext, newstyle=True
    )
    environment.globals["lang"] = _page_language
    environment.globals["html_lang"] = pass_context(lambda context: HTML_LANG[language_of(context)])
