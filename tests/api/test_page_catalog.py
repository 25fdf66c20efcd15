"""Every message the page templates write in Chinese has its English translation."""

from __future__ import annotations

import re
from pathlib import Path

from api.web import i18n

TEMPLATES = Path(i18n.__file__).parents[1] / "templates"
MESSAGE = re.compile(r"""_\(\s*(["'])(.+?)\1""")


def template_messages() -> set[str]:
    return {
        match.group(2)
        for path in TEMPLATES.rglob("*.html")
        for match in MESSAGE.finditer(path.read_text(encoding="utf-8"))
    }


def test_every_page_message_has_an_english_translation() -> None:
    messages = template_messages()
    assert len(messages) > 50
    missing = sorted(messages - set(i18n.catalog("en")))
    assert not missing, f"add to api/web/locale/en.po: {missing}"


def test_placeholders_survive_translation() -> None:
    for message, english in i18n.catalog("en").items():
        assert set(re.findall(r"%\(\w+\)s", message)) == set(re.findall(r"%\(\w+\)s", english))
