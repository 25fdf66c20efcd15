"""The demo province as plain rows: organisations, persons and practice sites, from one seed.

Nothing here touches the database, so the same seed and scale always give the same province and
a test can inspect a plan without building it. Every date lies before `AS_OF`, a fixed day, for
the same reason: the clock never changes what a seed produces.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from api.demo.codes import CodeFactory, birth_date, birth_region_code, random_date
from api.demo.names import person_name
from api.demo.organisations import OrganisationRow, institutions, insured_units, pharmacies
from api.demo.pools import REGIONS, Region
from credit.subjects.models import InstitutionLevel, PracticeRole, QualificationStatus

AS_OF = date(2026, 1, 1)

# Subjects of each kind at scale 1.0: a mid-sized slice of a province.
BASE_COUNTS = {
    "medical_institution": 300,
    "retail_pharmacy": 200,
    "physician": 3000,
    "pharmacist": 900,
    "insured_person": 5000,
    "insured_unit": 20,
}
# Where physicians work: a tertiary hospital employs far more of them than a clinic.
_STAFF_WEIGHT = {
    InstitutionLevel.TERTIARY: 40.0,
    InstitutionLevel.SECONDARY: 14.0,
    InstitutionLevel.PRIMARY: 4.0,
    InstitutionLevel.UNRATED: 1.5,
}
_UNRATED = InstitutionLevel.UNRATED
SECOND_SITE_SHARE = 0.14  # 多点执业 or a previous employer: people at two sites
_QUALIFICATION = (
    (QualificationStatus.NORMAL, 0.975),
    (QualificationStatus.SUSPENDED, 0.02),
    (QualificationStatus.TERMINATED, 0.005),
)


@dataclass(frozen=True, slots=True)
class PersonRow:
    kind: str
    name: str
    resident_id: str
    region: Region
    born_on: date
    nhsa_code: str | None = None
    qualification_status: QualificationStatus | None = None


@dataclass(frozen=True, slots=True)
class SiteRow:
    person: int  # index into ProvincePlan.persons
    organisation: int  # index into ProvincePlan.organisations
    role: PracticeRole
    started_on: date
    ended_on: date | None = None


@dataclass
class ProvincePlan:
    organisations: list[OrganisationRow] = field(default_factory=list)
    persons: list[PersonRow] = field(default_factory=list)
    sites: list[SiteRow] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Subjects per kind (in generation order), then practice sites."""
        counts: dict[str, int] = {}
        for kind in [row.kind for row in self.organisations] + [row.kind for row in self.persons]:
            counts[kind] = counts.get(kind, 0) + 1
        counts["practice_site"] = len(self.sites)
        return counts


def scaled(kind: str, scale: float) -> int:
    """How many subjects of `kind` a province at `scale` holds; never none of a kind."""
    return max(1, round(BASE_COUNTS[kind] * scale))


def plan_province(seed: int, scale: float) -> ProvincePlan:
    """The whole demo province for `seed` and `scale`; the first institution is the demo one."""
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not a secret
    codes = CodeFactory(rng)
    plan = ProvincePlan()
    plan.organisations += institutions(rng, codes, scaled("medical_institution", scale), AS_OF)
    plan.organisations += pharmacies(rng, codes, scaled("retail_pharmacy", scale), AS_OF)
    plan.organisations += insured_units(rng, codes, scaled("insured_unit", scale))
    _add_staff(plan, rng, codes, scale)
    for _ in range(scaled("insured_person", scale)):
        region = _weighted_region(rng)
        plan.persons.append(_person(rng, codes, "insured_person", region, 0, 92))
    return plan


def _weighted_region(rng: random.Random) -> Region:
    return rng.choices(REGIONS, [region.weight for region in REGIONS])[0]


def _person(
    rng: random.Random, codes: CodeFactory, kind: str, region: Region, youngest: int, oldest: int
) -> PersonRow:
    female = rng.random() < 0.52
    born_on = birth_date(rng, AS_OF, youngest, oldest)
    resident_id = codes.resident_id(birth_region_code(region, born_on), born_on, female=female)
    return PersonRow(kind, person_name(rng, female), resident_id, region, born_on)


def _staff(
    rng: random.Random, codes: CodeFactory, kind: str, region: Region, nhsa_prefix: str
) -> PersonRow:
    person = _person(rng, codes, kind, region, 24, 63)
    statuses = [status for status, _ in _QUALIFICATION]
    status = rng.choices(statuses, [share for _, share in _QUALIFICATION])[0]
    nhsa_code = codes.nhsa_code(nhsa_prefix, region.code, 6)
    return replace(person, nhsa_code=nhsa_code, qualification_status=status)


def _add_staff(plan: ProvincePlan, rng: random.Random, codes: CodeFactory, scale: float) -> None:
    """Physicians at institutions; pharmacists mostly at pharmacies (one heads each store)."""
    organisations = plan.organisations
    hospitals = [i for i, org in enumerate(organisations) if org.kind == "medical_institution"]
    stores = [i for i, org in enumerate(organisations) if org.kind == "retail_pharmacy"]
    hospital_weights = [_STAFF_WEIGHT[organisations[i].level or _UNRATED] for i in hospitals]
    large = [
        i for i in hospitals if organisations[i].level in {"tertiary", "secondary"}
    ] or hospitals
    for n in range(scaled("physician", scale)):
        # Every institution gets a physician before the big hospitals take the rest.
        home = hospitals[n] if n < len(hospitals) else rng.choices(hospitals, hospital_weights)[0]
        person = _staff(rng, codes, "physician", organisations[home].region, "D")
        if n == 0:  # the demo physician account speaks for this one: keep it in good standing
            person = replace(person, qualification_status=QualificationStatus.NORMAL)
        _employ(plan, rng, person, home, PracticeRole.PHYSICIAN, hospitals)
    for n in range(scaled("pharmacist", scale)):
        if n < len(stores):
            home, role, prefix = stores[n], PracticeRole.PRINCIPAL, "HY"
        elif rng.random() < 0.7:
            home, role, prefix = rng.choice(stores), PracticeRole.PHARMACIST, "HY"
        elif rng.random() < 0.85:
            home, role, prefix = rng.choice(large), PracticeRole.PHARMACIST, "HY"
        else:  # pharmacy technicians in a hospital's dispensary carry HJ codes
            home, role, prefix = rng.choice(large), PracticeRole.TECHNICIAN, "HJ"
        person = _staff(rng, codes, "pharmacist", organisations[home].region, prefix)
        others = stores if organisations[home].kind == "retail_pharmacy" else large
        _employ(plan, rng, person, home, role, others)


def _employ(
    plan: ProvincePlan,
    rng: random.Random,
    person: PersonRow,
    home: int,
    role: PracticeRole,
    elsewhere: list[int],
) -> None:
    """The person's main site and, for some, a second one in the same city (current or past)."""
    index = len(plan.persons)
    plan.persons.append(person)
    home_row = plan.organisations[home]
    qualified_on = person.born_on + timedelta(days=365 * 24)
    started_on = random_date(rng, max(qualified_on, home_row.designated_on or qualified_on), AS_OF)
    plan.sites.append(SiteRow(index, home, role, started_on))
    if rng.random() >= SECOND_SITE_SHARE:
        return
    city = home_row.region.city.code
    candidates = [
        i for i in elsewhere if i != home and plan.organisations[i].region.city.code == city
    ]
    if not candidates:
        return
    other = rng.choice(candidates)
    other_start = max(qualified_on, plan.organisations[other].designated_on or qualified_on)
    if rng.random() < 0.7:  # practising at a second site now (多点执业)
        plan.sites.append(SiteRow(index, other, role, random_date(rng, other_start, AS_OF)))
        return
    # A former employer: the job there ended before the current one began.
    if other_start < started_on - timedelta(days=60):
        began = random_date(rng, other_start, started_on - timedelta(days=60))
        ended = random_date(rng, began + timedelta(days=30), started_on - timedelta(days=1))
        plan.sites.append(SiteRow(index, other, role, began, ended))


__all__ = [
    "AS_OF",
    "BASE_COUNTS",
    "OrganisationRow",
    "PersonRow",
    "ProvincePlan",
    "SiteRow",
    "plan_province",
    "scaled",
]
