"""Valid, unique identifiers for demo subjects: USCC, resident IDs and NHSA codes.

Check digits come from python-stdnum, the same library the subjects module validates with, so a
demo code can never be one the system would reject.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from stdnum import numdb
from stdnum.cn import ric, uscc

from api.demo.pools import PROVINCE_CODE, Region

# The characters a USCC may use after its region code (GB 32100: no I, O, S, V, Z).
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_DIGITS = "0123456789"


class UsccKind:
    """Registration authority and entity type: the first two characters of a USCC."""

    PUBLIC_INSTITUTION = "12"  # 机构编制 · 事业单位: public hospitals, schools
    GOVERNMENT_ORGAN = "11"  # 机构编制 · 机关
    PRIVATE_NON_ENTERPRISE = "52"  # 民政 · 民办非企业单位: non-profit private hospitals
    COMPANY = "91"  # 市场监管 · 企业
    SOLE_TRADER = "92"  # 市场监管 · 个体工商户: small clinics and pharmacies


class CodeFactory:
    """Hands out identifiers, never the same one twice within a province."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()
        self._serials: dict[str, int] = {}

    def uscc(self, kind: str, registration_code: str, *, modern_body: str | None = None) -> str:
        """A USCC whose 9-character body starts with `modern_body` ("MA4…") or is an old
        all-digit organisation code."""
        while True:
            if modern_body:
                rest = 9 - len(modern_body)
                body = modern_body + "".join(self._rng.choices(_USCC_ALPHABET, k=rest))
            else:
                body = "".join(self._rng.choices(_DIGITS, k=9))
            stem = f"{kind}{registration_code}{body}"
            code = stem + uscc.calc_check_digit(stem)
            if self._claim(code):
                return code

    def resident_id(self, region_code: str, born_on: date, *, female: bool) -> str:
        """A GB 11643 citizen ID: region, birth date, an odd (male) or even (female) sequence."""
        while True:
            sequence = self._rng.randrange(2 if female else 1, 1000, 2)
            stem = f"{region_code}{born_on:%Y%m%d}{sequence:03d}"
            code = stem + _ric_check_digit(stem)
            if self._claim(code):
                return code

    def nhsa_code(self, prefix: str, region_code: str, serial_digits: int) -> str:
        """An NHSA code: prefix, region, then a serial that climbs in small uneven steps."""
        key = prefix + region_code
        serial = self._serials.get(key, 0) + self._rng.randint(1, 7)
        self._serials[key] = serial
        code = f"{key}{serial:0{serial_digits}d}"
        assert self._claim(code)
        return code

    def _claim(self, code: str) -> bool:
        if code in self._used:
            return False
        self._used.add(code)
        return True


def _ric_check_digit(first_17: str) -> str:
    # stdnum's calc_check_digit takes a whole 18-character number and ignores its last one.
    return ric.calc_check_digit(first_17 + "?")


def random_date(rng: random.Random, start: date, end: date) -> date:
    """A day in [start, end]; `end` wins when the range is empty, so callers may clamp freely."""
    span = (end - start).days
    return end if span <= 0 else start + timedelta(days=rng.randint(0, span))


def birth_date(rng: random.Random, as_of: date, youngest: int, oldest: int) -> date:
    """A real calendar date for someone aged between `youngest` and `oldest` on `as_of`."""
    latest = as_of.replace(year=as_of.year - youngest) - timedelta(days=1)
    earliest = as_of.replace(year=as_of.year - oldest - 1)
    return random_date(rng, earliest, latest)


@dataclass(frozen=True, slots=True)
class _Division:
    """A GB/T 2260 code and the names it carried, each with its first and last year."""

    code: str
    names: tuple[tuple[int, int, str], ...]

    def name_in(self, year: int) -> str | None:
        return next((name for first, last, name in self.names if first <= year <= last), None)


def _named_spans(text: str) -> tuple[tuple[int, int, str], ...]:
    """'[1983-1995]东区,[1996-]芙蓉区' as year spans; an open end is any year."""
    spans = []
    for part in text.split(","):
        years, _, name = part[1:].partition("]") if part.startswith("[") else ("-", "", part)
        first, _, last = years.partition("-")
        spans.append((int(first or 0), int(last or 9999), name))
    return tuple(spans)


@cache
def _hunan_divisions() -> dict[str, _Division]:
    """Every Hunan code in stdnum's GB/T 2260 history; read once, as lookups are slow."""
    places = numdb.get("cn/loc")
    found = {}
    for prefecture in (*range(1, 14), *range(21, 32)):
        for county in range(100):
            code = f"43{prefecture:02d}{county:02d}"
            parts = places.info(code)
            names = parts[1][1].get("county", "") if len(parts) > 1 else ""
            if names:
                found[code] = _Division(code, _named_spans(names))
    return found


@cache
def _birth_region_code(region: Region, year: int) -> str:
    divisions = _hunan_divisions()
    if divisions[region.code].name_in(year):
        return region.code
    # The county under its earlier name (望城县 for 望城区), then the city or prefecture.
    stems = [
        (region.name[:-1], ("县", "市", "区")),
        (region.city.name, ("",)),
        (region.city.short, ("市", "地区")),
        (region.city.former, ("市", "县")),
    ]
    for stem, suffixes in stems:
        wanted = {stem + suffix for suffix in suffixes}
        for division in divisions.values():
            if stem and division.name_in(year) in wanted:
                return division.code
    return PROVINCE_CODE


def birth_region_code(region: Region, born_on: date) -> str:
    """The division code on the ID of someone born in `region` on `born_on`.

    IDs keep the code in force when they were issued, and stdnum checks that the code existed in
    the birth year, so an older physician in 望城区 (430112 since 2011) carries 430122 望城县.
    """
    return _birth_region_code(region, born_on.year)
