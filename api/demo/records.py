"""Two years of credit records for the demo province, stored through the real ingest engine.

Rows are planned from the seed alone (plus the subjects as stored, read back in id order), so
the same seed and scale always give the same records. Every date lies in `START` … `END`, a
fixed window in the past; every row must pass the engine's validation: one rejected row fails
the whole demo, since a demo that cannot load its own data is broken.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.demo.record_items import GROUPS, INSTITUTIONS, Item
from credit.kernel.actor import Actor
from credit.records.ingest import ingest
from credit.subjects.models import PracticeSite, Subject

START = date(2025, 1, 1)
END = date(2026, 10, 31)
BASE_RECORDS = 4500  # at scale 1.0
SOURCE_LABEL = "medcredit demo"
_CENT = Decimal("0.01")
# How often an organisation is the subject of a record, by size: big hospitals bill the most.
_ORG_WEIGHT = {"tertiary": 14.0, "secondary": 6.0, "primary": 2.0, "unrated": 1.5}
_PHARMACY_WEIGHT = 1.5
# 文号 abbreviations of the cities' medical security bureaus (长医保罚〔2025〕12号).
_CITY_SHORT = {
    "4301": "长",
    "4302": "株",
    "4303": "潭",
    "4304": "衡",
    "4306": "岳",
    "4307": "常",
    "4308": "张",
    "4309": "益",
    "4310": "郴",
    "4311": "永",
    "4312": "怀",
    "4313": "娄",
    "4331": "州",
}


@dataclass(slots=True)
class _Province:
    """The stored subjects a record can be about, and who practises where now."""

    by_kind: dict[str, list[int]] = field(default_factory=dict)
    weight: dict[int, float] = field(default_factory=dict)
    region: dict[int, str] = field(default_factory=dict)
    staff: dict[int, list[int]] = field(default_factory=dict)


async def _read_province(session: AsyncSession) -> _Province:
    province = _Province()
    subjects = await session.execute(
        select(
            col(Subject.id), col(Subject.kind), col(Subject.level), col(Subject.region_code)
        ).order_by(col(Subject.id))
    )
    for subject_id, kind, level, region_code in subjects:
        assert subject_id is not None
        province.by_kind.setdefault(kind, []).append(subject_id)
        province.region[subject_id] = region_code or ""
        if kind == "retail_pharmacy":
            province.weight[subject_id] = _PHARMACY_WEIGHT
        else:
            province.weight[subject_id] = _ORG_WEIGHT.get(level or "unrated", 1.0)
    sites = await session.execute(
        select(col(PracticeSite.institution_id), col(PracticeSite.person_id))
        .where(col(PracticeSite.ended_on).is_(None))
        .order_by(col(PracticeSite.id))
    )
    for institution_id, person_id in sites:
        province.staff.setdefault(institution_id, []).append(person_id)
    return province


class _Planner:
    def __init__(self, rng: random.Random, province: _Province, seed: int) -> None:
        self.rng = rng
        self.province = province
        self.seed = seed
        self.numbers: Counter[str] = Counter()
        self.rows: list[dict[str, Any]] = []
        self.categories: Counter[str] = Counter()

    def money(self, low: int, high: int) -> Decimal:
        # Losses cluster low with a long tail, as real cases do.
        value = low * (high / low) ** (self.rng.random() ** 1.6)
        return Decimal(str(value)).quantize(_CENT)

    def document_key(self, subject_id: int, word: str, decided_on: date) -> str:
        region = self.province.region.get(subject_id, "")
        prefix = "湘" if word in {"飞检", "通报"} else _CITY_SHORT.get(region[:4], "湘")
        return f"{prefix}医保{word}〔{decided_on.year}〕"

    def number_documents(self) -> None:
        """Each bureau numbers its documents through the year in the order it decides them."""
        for row in sorted(self.rows, key=lambda row: row["decided_on"]):
            key = row.get("document_no")
            if key is not None:
                self.numbers[key] += 1
                row["document_no"] = f"{key}{self.numbers[key]}号"

    def add(self, system: str, item: Item, subject_id: int) -> None:
        rng = self.rng
        decided_on = START + timedelta(days=rng.randint(0, (END - START).days))
        lag = min(rng.randint(*item.lag), (decided_on - START).days)
        row: dict[str, Any] = {
            "subject_id": subject_id,
            "item_code": item.code,
            "occurred_on": (decided_on - timedelta(days=lag)).isoformat(),
            "decided_on": decided_on.isoformat(),
            "source_system": item.system or system,
            "source_ref": f"DEMO{self.seed}-{len(self.rows) + 1:06d}",
        }
        if item.document:
            row["document_no"] = self.document_key(subject_id, item.document, decided_on)
        if item.amount:
            amount = self.money(*item.amount)
            row["amount_involved"] = str(amount)
            if item.fine:
                multiple = Decimal(str(rng.choice(item.fine)))
                row["fine_amount"] = str((amount * multiple).quantize(_CENT))
        if item.flat_fine and rng.random() < 0.6:  # Art. 39 fines only if left uncorrected
            row["fine_amount"] = (
                f"{rng.randrange(item.flat_fine[0], item.flat_fine[1] + 1, 1000)}.00"
            )
        if item.rules:
            row["rule_code"] = rng.choice(item.rules)
        staff = self.province.staff.get(subject_id, [])
        if staff and rng.random() < item.persons:
            named = rng.sample(staff, min(len(staff), rng.choice((1, 1, 2, 3))))
            tiers = ("principal", "important", "general")
            row["responsible"] = [
                {"subject_id": person, "tier": tiers[min(i, 2)]} for i, person in enumerate(named)
            ]
        self.rows.append(row)
        self.categories[item.category] += 1


def _pick(rng: random.Random, items: tuple[Item, ...], kind: str) -> Item:
    choices = [item for item in items if kind in item.kinds]
    return rng.choices(choices, [item.weight for item in choices])[0]


def plan_records(province: _Province, seed: int, scale: float, hospital_id: int) -> _Planner:
    """The rows for `seed` and `scale`; the demo hospital always has a handful of its own."""
    rng = random.Random(seed * 7919 + 17)  # noqa: S311 - reproducible demo data, not a secret
    planner = _Planner(rng, province, seed)
    organisations = [s for kind in INSTITUTIONS for s in province.by_kind.get(kind, [])]
    org_weights = [province.weight[s] for s in organisations]
    insured = province.by_kind.get("insured_person", [])
    kind_of = {s: kind for kind, ids in province.by_kind.items() for s in ids}
    names = list(GROUPS)
    shares = [GROUPS[name][0] for name in names]
    for name, code in (
        ("monitoring", "MON-DUPLICATE-CHARGE"),
        ("monitoring", "MON-OVER-PRESCRIPTION"),
        ("agreement", "AGR-INTERVIEW"),
        ("positive", "POS-TRAINING"),
        ("positive", "POS-COMMENDATION"),
    ):
        _share, system, items = GROUPS[name]
        planner.add(system, next(i for i in items if i.code == code), hospital_id)
    for _ in range(max(20, round(BASE_RECORDS * scale))):
        name = rng.choices(names, shares)[0]
        _share, system, items = GROUPS[name]
        if name == "insured_person":
            if not insured:
                continue
            subject_id = rng.choice(insured)
        else:
            subject_id = rng.choices(organisations, org_weights)[0]
        planner.add(system, _pick(rng, items, kind_of[subject_id]), subject_id)
    planner.number_documents()
    return planner


async def load_records(
    session: AsyncSession, actor: Actor, *, seed: int, scale: float, hospital_id: int
) -> dict[str, int]:
    """Plan and ingest the demo's records; their count per category. Raises on any rejection."""
    province = await _read_province(session)
    planner = plan_records(province, seed, scale, hospital_id)
    report = await ingest(
        session,
        actor,
        enumerate(planner.rows, start=1),
        mode="partial",
        source_label=SOURCE_LABEL,
    )
    if report.rejected or report.created != len(planner.rows):
        first = "; ".join(
            f"line {e.line} {e.field} {e.rule}: {e.message}" for e in report.errors[:5]
        )
        raise RuntimeError(f"the demo's credit records were rejected ({report.rejected}): {first}")
    return dict(planner.categories)
