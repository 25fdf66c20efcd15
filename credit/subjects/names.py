"""Names as a matcher compares them: one written form, the organisation's type apart, pinyin.

`陳偉`, `陈 伟` and `陈伟` have one key; `长沙仁和医院有限公司` keys as `长沙仁和` with the
suffix class `hospital`, so a company form or a facility word neither makes two names of one
organisation differ nor makes two different organisations look alike. Keys are stored on the
subject (`name_key`, `name_pinyin`, both indexed) and the key's character pairs in
`subject_name_gram`, so candidates are found through indexes, never by reading every subject.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from opencc import OpenCC
from pypinyin import lazy_pinyin
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from credit.subjects.models import NAME_GRAM_TABLE, SUBJECT_TABLE, SubjectNameGram

KEY_MAX = 200
PINYIN_MAX = 1000
# Legal forms first (longest first, as often as they repeat), then what kind of place it is.
LEGAL_FORMS = (
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "有限公司",
    "集团公司",
    "合伙企业",
    "个人独资企业",
    "公司",
    "连锁",
)
FACILITY_WORDS = {
    "社区卫生服务中心": "clinic",
    "社区卫生服务站": "clinic",
    "医院": "hospital",
    "卫生院": "clinic",
    "门诊部": "clinic",
    "诊所": "clinic",
    "卫生室": "clinic",
    "大药房": "pharmacy",
    "药房": "pharmacy",
    "药店": "pharmacy",
    "医药": "pharmacy",
}
# The facility word belongs to the name when nothing else would be left (e.g. `人民医院`).
MIN_CORE = 2


@lru_cache(maxsize=1)
def _t2s() -> OpenCC:
    return OpenCC("t2s")


def written_form(name: str) -> str:
    """Simplified characters, half-width forms, lower case, no spaces or punctuation."""
    text = _t2s().convert(unicodedata.normalize("NFKC", name)).lower()
    return "".join(char for char in text if unicodedata.category(char)[0] in "LN")


@dataclass(frozen=True, slots=True)
class NameKey:
    written: str  # the whole name in its one written form
    core: str  # without legal form and facility word
    suffix: str  # the facility class (hospital, clinic, pharmacy), `company`, or ""
    pinyin: str  # the core's syllables, space separated, without tones

    @property
    def grams(self) -> list[str]:
        """The core's character pairs (a one-character core is its own gram)."""
        if len(self.core) < 2:
            return [self.core] if self.core else []
        return sorted({self.core[i : i + 2] for i in range(len(self.core) - 1)})


def _strip(text: str, words: Sequence[str]) -> tuple[str, str | None]:
    for word in sorted(words, key=len, reverse=True):
        if text.endswith(word) and len(text) - len(word) >= MIN_CORE:
            return text[: -len(word)], word
    return text, None


@lru_cache(maxsize=65536)
def key_of(name: str) -> NameKey:
    written = written_form(name)
    core, form = _strip(written, LEGAL_FORMS)
    while form is not None:  # 某某大药房连锁股份有限公司: 连锁 stands before the legal form
        core, more = _strip(core, LEGAL_FORMS)
        if more is None:
            break
    core, facility = _strip(core, list(FACILITY_WORDS))
    suffix = FACILITY_WORDS[facility] if facility else ("company" if form else "")
    pinyin = " ".join(lazy_pinyin(core))[:PINYIN_MAX]
    return NameKey(written[:KEY_MAX], core[:KEY_MAX], suffix, pinyin)


def name_columns(name: str) -> dict[str, str]:
    """The subject columns that index its name."""
    key = key_of(name)
    return {"name_key": key.core, "name_pinyin": key.pinyin}


async def index_grams(session: AsyncSession, names: Sequence[tuple[int, str]]) -> None:
    """(Re)write the character pairs of these subjects' names."""
    if not names:
        return
    ids = sorted({subject_id for subject_id, _ in names})
    for start in range(0, len(ids), 1000):
        await session.execute(
            delete(SubjectNameGram).where(
                NAME_GRAM_TABLE.c.subject_id.in_(ids[start : start + 1000])
            )
        )
    rows = [
        {"gram": gram, "subject_id": subject_id}
        for subject_id, name in names
        for gram in key_of(name).grams
    ]
    for start in range(0, len(rows), 5000):
        await session.execute(insert(NAME_GRAM_TABLE), rows[start : start + 5000])


async def index_missing(session: AsyncSession, *, chunk: int = 1000) -> int:
    """Index the names of subjects registered before names were indexed; how many were.

    Idempotent and cheap when there is nothing to do (one indexed look-up).
    """
    done = 0
    while True:
        query = (
            select(SUBJECT_TABLE.c.id, SUBJECT_TABLE.c.name)
            .where(SUBJECT_TABLE.c.name_key.is_(None))
            .order_by(SUBJECT_TABLE.c.id)
            .limit(chunk)
        )
        rows = [
            (int(subject_id), str(name))
            for subject_id, name in (await session.execute(query)).all()
        ]
        if not rows:
            return done
        await session.execute(
            update(SUBJECT_TABLE),
            [{"id": subject_id, **name_columns(name)} for subject_id, name in rows],
        )
        await index_grams(session, rows)
        done += len(rows)
