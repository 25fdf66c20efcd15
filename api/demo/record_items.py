"""What the demo's credit records look like, item by item (codes of the national catalog).

Each group is one source system with its share of all records; each item says which subject
kinds it fits (as the catalog does), the fund-loss range, the fine (multiples of the loss per
the Regulation — Art. 38 1–2×, Art. 40/41 fraud 2–5× — or Art. 39's flat ¥10,000–50,000), the
word of its 文号, the monitoring rules that catch it and how often it names responsible staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

INSTITUTIONS = ("medical_institution", "retail_pharmacy")
HOSPITAL = ("medical_institution",)
INSURED = ("insured_person",)
ART38 = (1.0, 1.2, 1.5, 1.8, 2.0)
ART40 = (2.0, 2.5, 3.0, 4.0, 5.0)
PENALTY_LAG = (90, 330)
CATEGORY_OF_PREFIX = {
    "MON": "monitoring",
    "ENF": "enforcement",
    "AGR": "agreement",
    "INSP": "inspection",
    "POS": "positive",
}


@dataclass(frozen=True, slots=True)
class Item:
    code: str
    weight: float
    kinds: tuple[str, ...] = INSTITUTIONS
    amount: tuple[int, int] | None = None  # fund loss range, yuan
    fine: tuple[float, ...] = ()  # fine multiples of the loss
    flat_fine: tuple[int, int] | None = None  # Art. 39, when left uncorrected
    document: str | None = None  # the word of the 文号: 罚, 协处, 飞检 …
    rules: tuple[str, ...] = ()  # monitoring rule codes
    lag: tuple[int, int] = (15, 120)  # days from the conduct to the decision
    persons: float = 0.0  # share of records naming responsible staff
    system: str | None = None  # when not the group's source system

    @property
    def category(self) -> str:
        return CATEGORY_OF_PREFIX[self.code.split("-", 1)[0]]


def _mon(
    code: str, weight: float, loss: tuple[int, int], *rules: str, hospital: bool = False
) -> Item:
    kinds = HOSPITAL if hospital else INSTITUTIONS
    return Item(f"MON-{code}", weight, kinds, loss, rules=rules, lag=(20, 90))


def _pen(
    code: str,
    weight: float,
    loss: tuple[int, int] | None,
    fine: tuple[float, ...] = (),
    **more: Any,
) -> Item:
    return Item(
        f"ENF-{code}", weight, amount=loss, fine=fine, document="罚", lag=PENALTY_LAG, **more
    )


def _agr(code: str, weight: float, loss: tuple[int, int] | None = None, **more: Any) -> Item:
    return Item(f"AGR-{code}", weight, amount=loss, document="协处", **more)


def _ins(code: str, weight: float, loss: tuple[int, int], fine: tuple[float, ...] = ()) -> Item:
    return Item(code, weight, INSURED, loss, fine, document="罚", lag=(60, 240))


GROUPS: dict[str, tuple[float, str, tuple[Item, ...]]] = {
    "monitoring": (0.44, "demo-monitoring", (
        _mon("SPLIT-ADMISSION", 8, (800, 30000), "R-SPLIT-ADM-01", "R-SPLIT-ADM-02", hospital=True),
        _mon("BED-HOLDING", 4, (1500, 40000), "R-BED-HOLD-01", hospital=True),
        _mon("EXCESSIVE-TREATMENT", 6, (500, 20000), "R-EXC-TEST-01", hospital=True),
        _mon("DUPLICATE-CHARGE", 14, (50, 8000), "R-DUP-CHG-01", "R-DUP-CHG-02"),
        _mon("OVER-STANDARD-CHARGE", 10, (50, 6000), "R-OVER-STD-01"),
        _mon("SPLIT-CHARGE", 8, (100, 9000), "R-SPLIT-CHG-01"),
        _mon("SUBSTITUTION", 5, (300, 25000), "R-SUBST-DRUG-01", "R-SUBST-MAT-01"),
        _mon("OVER-PRESCRIPTION", 12, (40, 5000), "R-OVER-RX-01", "R-OVER-RX-02"),
        _mon("DUPLICATE-PRESCRIPTION", 9, (40, 4000), "R-DUP-RX-01"),
        _mon("COVERAGE-LIMIT", 14, (30, 6000), "R-LIMIT-01", "R-LIMIT-02"),
    )),
    "enforcement": (0.12, "demo-enforcement", (
        _pen("38-SPLIT-ADMISSION", 5, (20000, 400000), ART38, kinds=HOSPITAL, persons=0.5),
        _pen("38-EXCESSIVE-TESTS", 5, (10000, 300000), ART38, kinds=HOSPITAL, persons=0.4),
        _pen("38-OVER-PRESCRIPTION", 6, (3000, 120000), ART38, persons=0.4),
        _pen("38-DUPLICATE-CHARGE", 8, (5000, 200000), ART38),
        _pen("38-OVER-STANDARD-CHARGE", 7, (5000, 200000), ART38),
        _pen("38-SUBSTITUTION", 6, (8000, 300000), ART38, persons=0.3),
        _pen("38-NON-COVERED-SETTLEMENT", 6, (3000, 150000), ART38),
        _pen("39-RECORD-KEEPING", 4, None, flat_fine=(10000, 50000)),
        _pen("39-PRICE-DISCLOSURE", 3, None, flat_fine=(10000, 30000)),
        _pen("39-NO-INTERNAL-CONTROL", 2, None, flat_fine=(10000, 50000)),
        _pen("40-FICTITIOUS-SERVICES", 1.2, (50000, 900000), ART40, persons=0.8),
        _pen("40-INDUCE-IMPERSONATION", 1, (20000, 600000), ART40, persons=0.7),
        _pen("40-FALSE-DOCUMENTS", 0.8, (30000, 700000), ART40, persons=0.7),
    )),
    "agreement": (0.16, "demo-agreement", (
        _agr("INTERVIEW", 34, lag=(10, 60)),
        _agr("RECTIFY", 28, lag=(10, 60)),
        _agr("RECOVER", 18, (2000, 200000)),
        _agr("SUSPEND-PAYMENT", 7, (10000, 300000)),
        _agr("REFUSE-PAYMENT", 7, (5000, 150000)),
        _agr("SUSPEND-STAFF", 3, persons=1.0),
        _agr("SUSPEND-DEPARTMENT", 2, (20000, 300000), kinds=HOSPITAL, persons=0.5),
        _agr("SUSPEND-AGREEMENT", 0.8, (50000, 500000), lag=(30, 150)),
        _agr("TERMINATE-AGREEMENT", 0.3, (100000, 800000), lag=(60, 200)),
    )),
    "inspection": (0.07, "demo-inspection", (
        Item("INSP-FLIGHT-FINDING", 3, amount=(20000, 600000), document="飞检", persons=0.3),
        Item("INSP-SPECIAL-FINDING", 7, amount=(5000, 300000), document="专检"),
    )),
    "positive": (0.18, "demo-positive", (
        Item("POS-TRAINING", 45, lag=(0, 10)),
        Item("POS-COMMITMENT-FULFILLED", 20, lag=(180, 365)),
        Item("POS-VOLUNTARY-REFUND", 25, amount=(1000, 120000), lag=(30, 180)),
        Item("POS-COMMENDATION", 10, document="通报", lag=(30, 200)),
    )),
    # Insured persons: Art. 41 decisions (fraud adds a 2–5× fine) and kept commitments.
    "insured_person": (0.03, "demo-enforcement", (
        _ins("ENF-41-LEND-CARD", 30, (300, 15000)),
        _ins("ENF-41-DUPLICATE-BENEFIT", 25, (500, 30000)),
        _ins("ENF-41-RESELL-DRUGS", 20, (1000, 40000)),
        _ins("ENF-41-FRAUD-IMPERSONATION", 10, (2000, 60000), ART40),
        _ins("ENF-41-FRAUD-FORGERY", 5, (5000, 120000), ART40),
        Item("POS-COMMITMENT-FULFILLED", 10, INSURED, lag=(180, 365), system="demo-positive"),
    )),
}  # fmt: skip
