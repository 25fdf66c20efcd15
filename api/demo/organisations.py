"""Demo organisations: designated institutions, retail pharmacies and insured employers.

The mix follows a real prefecture: a few big public hospitals (三级/二级), many community and
township health centres (一级), private specialist hospitals, and unrated clinics; pharmacies are
mostly chain stores. The first institution is always 长沙市第一人民医院, the demo hospital.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

from api.demo.codes import CodeFactory, UsccKind, random_date
from api.demo.names import (
    HOSPITAL_SPECIALTIES,
    TRADE_NAMES,
    company_name,
    person_name,
    pharmacy_name,
)
from api.demo.pools import CITIES, REGIONS, Region, RegionKind, is_township, place_stem
from credit.subjects.models import AgreementStatus, InstitutionLevel, Ownership

_T, _S = InstitutionLevel.TERTIARY, InstitutionLevel.SECONDARY
_P, _U = InstitutionLevel.PRIMARY, InstitutionLevel.UNRATED
# Shares of the institutions that are public hospitals, community/township centres, private
# hospitals; clinics make up the rest.
_SHARES = (0.22, 0.45, 0.13)
# Bodies of USCCs issued since 2015 start with letters naming the issuing system.
_MODERN_BODY = {UsccKind.COMPANY: "MA4", UsccKind.SOLE_TRADER: "MA4"}


@dataclass(frozen=True, slots=True)
class OrganisationRow:
    kind: str
    name: str
    uscc: str
    region: Region
    nhsa_code: str | None = None
    level: InstitutionLevel | None = None
    ownership: Ownership | None = None
    designated_on: date | None = None
    agreement_status: AgreementStatus | None = None


@dataclass(frozen=True, slots=True)
class _Institution:
    name: str
    region: Region
    level: InstitutionLevel
    uscc_kind: str
    registered_in: str  # the division code embedded in the USCC
    designated_from: int  # the first year it could have been designated
    designated_within: int = 10  # years after that by which it was


def _seat(city_code: str) -> Region:
    return next(r for r in REGIONS if r.city.code == city_code and r.is_city_seat)


def _flagships() -> list[_Institution]:
    """Each city's first hospital and each county's people's hospital, Changsha's first."""
    found = []
    for city in CITIES:
        name = f"{city.name}人民医院" if city.name.endswith("州") else f"{city.name}第一人民医院"
        found.append(_Institution(name, _seat(city.code), _T, "12", city.code, 1999))
    for region in REGIONS:
        if region.kind is RegionKind.COUNTY:
            found.append(
                _Institution(f"{region.name}人民医院", region, _T, "12", region.code, 2000)
            )
    return found


def _public_hospitals(rng: random.Random) -> list[_Institution]:
    """The other public hospitals of cities, counties and districts, in random order."""
    found = []
    city_wards = (("中心医院", _T), ("中医医院", _T), ("妇幼保健院", _S), ("第二人民医院", _S),
                  ("第三人民医院", _S), ("精神病医院", _S), ("口腔医院", _S))  # fmt: skip
    for city in CITIES:
        for suffix, level in city_wards:
            region = _seat(city.code)
            found.append(_Institution(city.name + suffix, region, level, "12", city.code, 1999))
    for region in REGIONS:
        if region.kind is RegionKind.COUNTY:
            for suffix in ("中医医院", "妇幼保健院", "第二人民医院"):
                found.append(
                    _Institution(region.name + suffix, region, _S, "12", region.code, 2000)
                )
        elif not region.is_city_seat:
            name = f"{region.city.name}{region.name}人民医院"
            found.append(_Institution(name, region, _S, "12", region.code, 2001))
    rng.shuffle(found)
    return found


def _health_centres(rng: random.Random) -> list[_Institution]:
    """A community health service centre per urban 街道, a health centre per 镇 or 乡."""
    found = []
    for region in REGIONS:
        for place in region.places:
            if is_township(place):
                kind = "中心卫生院" if rng.random() < 0.3 else "卫生院"
                name = f"{region.name}{place}{kind}"
            else:
                name = f"{region.name}{place_stem(place)}社区卫生服务中心"
            found.append(_Institution(name, region, _P, "12", region.code, 2003, 14))
    rng.shuffle(found)
    return found


def _private_hospital(rng: random.Random, region: Region) -> _Institution:
    name = f"{region.city.short}{rng.choice(TRADE_NAMES)}{rng.choice(HOSPITAL_SPECIALTIES)}医院"
    level = rng.choices((_S, _P, _U), (0.3, 0.45, 0.25))[0]
    uscc_kind = UsccKind.PRIVATE_NON_ENTERPRISE if rng.random() < 0.7 else UsccKind.COMPANY
    return _Institution(name, region, level, uscc_kind, region.code, 2008, 17)


def _clinic(rng: random.Random, region: Region) -> _Institution:
    where = region.name if region.kind is RegionKind.COUNTY else region.city.name + region.name
    style = rng.random()
    if style < 0.4:
        name, uscc_kind = f"{where}{person_name(rng, False)[0]}氏中医诊所", UsccKind.SOLE_TRADER
    elif style < 0.75:
        name, uscc_kind = f"{where}{rng.choice(TRADE_NAMES)}口腔门诊部", UsccKind.COMPANY
    else:
        name, uscc_kind = f"{where}{rng.choice(TRADE_NAMES)}综合门诊部", UsccKind.COMPANY
    return _Institution(name, region, _U, uscc_kind, region.code, 2014, 12)


def _unique(
    rng: random.Random, make: Callable[[random.Random, Region], _Institution], taken: set[str]
) -> Iterator[_Institution]:
    """Endless distinct institutions made by `make` in regions weighted by population."""
    weights = [region.weight for region in REGIONS]
    while True:
        candidate = make(rng, rng.choices(REGIONS, weights)[0])
        if candidate.name not in taken:
            taken.add(candidate.name)
            yield candidate


def _take(source: Iterator[_Institution] | list[_Institution], count: int) -> list[_Institution]:
    return [item for _, item in zip(range(count), source, strict=False)]


def _agreement(rng: random.Random, ownership: Ownership) -> AgreementStatus:
    """Most agreements run normally; private ones are suspended or ended more often."""
    troubled = 0.03 if ownership is Ownership.PUBLIC else 0.1
    if rng.random() >= troubled:
        return AgreementStatus.NORMAL
    return AgreementStatus.SUSPENDED if rng.random() < 0.8 else AgreementStatus.TERMINATED


def institutions(
    rng: random.Random, codes: CodeFactory, count: int, as_of: date
) -> list[OrganisationRow]:
    """`count` designated medical institutions, the demo hospital first."""
    public, centres, private = (max(1, round(count * share)) for share in _SHARES)
    flagships = _flagships()
    chosen = _take([*flagships, *_public_hospitals(rng)], public)
    chosen += _take(_health_centres(rng), centres)
    taken = {item.name for item in chosen}
    chosen += _take(_unique(rng, _private_hospital, taken), private)
    chosen += _take(_unique(rng, _clinic, taken), max(0, count - len(chosen)))
    rows = []
    for position, item in enumerate(chosen[:count]):
        ownership = Ownership.PUBLIC if item.uscc_kind == "12" else Ownership.PRIVATE
        last = date(item.designated_from + item.designated_within, 12, 31)
        designated_on = random_date(rng, date(item.designated_from, 1, 1), min(last, as_of))
        status = AgreementStatus.NORMAL if position == 0 else _agreement(rng, ownership)
        rows.append(
            OrganisationRow(
                kind="medical_institution",
                name=item.name,
                uscc=_uscc(codes, item.uscc_kind, item.registered_in, designated_on),
                region=item.region,
                nhsa_code=codes.nhsa_code("H", item.region.code, 5),
                level=item.level,
                ownership=ownership,
                designated_on=designated_on,
                agreement_status=status,
            )
        )
    return rows


def _uscc(codes: CodeFactory, kind: str, registered_in: str, founded: date) -> str:
    """Businesses founded since 2015 got "MA…" codes; older bodies kept their organisation code."""
    modern = _MODERN_BODY.get(kind) if founded.year >= 2015 else None
    return codes.uscc(kind, registered_in, modern_body=modern)


def pharmacies(
    rng: random.Random, codes: CodeFactory, count: int, as_of: date
) -> list[OrganisationRow]:
    """`count` designated retail pharmacies, chain stores and independents."""
    rows: list[OrganisationRow] = []
    taken: set[str] = set()
    weights = [region.weight for region in REGIONS]
    while len(rows) < count:
        region = rng.choices(REGIONS, weights)[0]
        name = pharmacy_name(rng, region)
        if name in taken:
            continue
        taken.add(name)
        chain = "（" in name
        designated_on = random_date(rng, date(2006, 1, 1), as_of)
        uscc_kind = UsccKind.COMPANY if chain else UsccKind.SOLE_TRADER
        rows.append(
            OrganisationRow(
                kind="retail_pharmacy",
                name=name,
                uscc=_uscc(codes, uscc_kind, region.code, designated_on),
                region=region,
                nhsa_code=codes.nhsa_code("P", region.code, 5),
                ownership=Ownership.PRIVATE,
                designated_on=designated_on,
                agreement_status=_agreement(rng, Ownership.PRIVATE),
            )
        )
    return rows


def insured_units(rng: random.Random, codes: CodeFactory, count: int) -> list[OrganisationRow]:
    """`count` employers paying contributions: companies and a few public schools."""
    rows: list[OrganisationRow] = []
    taken: set[str] = set()
    weights = [region.weight for region in REGIONS]
    numerals = "一二三四五六七八九十"
    while len(rows) < count:
        region = rng.choices(REGIONS, weights)[0]
        if rng.random() < 0.25:
            name, kind = (
                f"{region.city.name}第{rng.choice(numerals)}中学",
                UsccKind.PUBLIC_INSTITUTION,
            )
            founded = date(1990, 1, 1)
        else:
            name, kind = company_name(rng, region), UsccKind.COMPANY
            founded = random_date(rng, date(2000, 1, 1), date(2024, 12, 31))
        if name in taken:
            continue
        taken.add(name)
        uscc = _uscc(codes, kind, region.code, founded)
        rows.append(OrganisationRow("insured_unit", name, uscc, region))
    return rows
