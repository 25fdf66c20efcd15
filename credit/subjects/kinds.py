"""The registry of subject kinds, read from kinds.yaml: adding a kind is configuration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

import yaml

from credit.kernel.errors import InvalidInput


class Party(StrEnum):
    ORGANISATION = "organisation"
    PERSON = "person"


IDENTIFIER_FIELDS = ("uscc", "resident_id", "insurance_no", "nhsa_code")
ATTRIBUTE_FIELDS = (
    "level",
    "ownership",
    "designated_on",
    "agreement_status",
    "qualification_status",
)
# Identifiers that can only belong to one party, whatever a kind's configuration says.
PARTY_IDENTIFIERS = {
    Party.ORGANISATION: frozenset({"uscc", "nhsa_code"}),
    Party.PERSON: frozenset({"resident_id", "insurance_no", "nhsa_code"}),
}


@dataclass(frozen=True, slots=True)
class NhsaLayout:
    """An NHSA code: one of `prefixes`, an optional six-digit region, then serial digits."""

    prefixes: tuple[str, ...]
    region: bool
    serial_digits: int

    @property
    def digits(self) -> int:
        return (6 if self.region else 0) + self.serial_digits

    def describe(self) -> str:
        """The layout in words, e.g. `D + 6-digit region code + 6 digits`."""
        parts = [" or ".join(self.prefixes)]
        if self.region:
            parts.append("6-digit region code")
        parts.append(f"{self.serial_digits} digits")
        return " + ".join(parts)


@dataclass(frozen=True, slots=True)
class SubjectKind:
    """One kind of credit subject and the fields that apply to it."""

    code: str
    zh: str
    en: str
    party: Party
    identifiers: frozenset[str]
    required_any: tuple[str, ...]
    nhsa_layout: NhsaLayout | None
    attributes: frozenset[str]
    practises: bool = False
    hosts_practice: bool = False

    def applies(self, field: str) -> bool:
        """Whether an identifier or attribute field may be set on subjects of this kind."""
        return field in self.identifiers or field in self.attributes


def _kind_from(code: str, entry: dict[str, Any]) -> SubjectKind:
    party = Party(entry["party"])
    identifiers = frozenset(entry.get("identifiers", []))
    attributes = frozenset(entry.get("attributes", []))
    required_any = tuple(entry.get("required_any", []))
    layout_entry = entry.get("nhsa_code")
    layout = (
        NhsaLayout(
            prefixes=tuple(str(prefix).upper() for prefix in layout_entry["prefixes"]),
            region=bool(layout_entry.get("region", False)),
            serial_digits=int(layout_entry["serial_digits"]),
        )
        if layout_entry
        else None
    )
    if not identifiers <= PARTY_IDENTIFIERS[party]:
        wrong = ", ".join(sorted(identifiers - PARTY_IDENTIFIERS[party]))
        raise ValueError(f"kinds.yaml: {code} is a {party} and cannot carry {wrong}")
    if not set(required_any) <= identifiers:
        raise ValueError(f"kinds.yaml: {code} requires identifiers it does not allow")
    if not attributes <= set(ATTRIBUTE_FIELDS):
        raise ValueError(f"kinds.yaml: {code} names unknown attributes")
    if ("nhsa_code" in identifiers) != (layout is not None):
        raise ValueError(f"kinds.yaml: {code} needs an nhsa_code layout exactly when it allows one")
    return SubjectKind(
        code=code,
        zh=str(entry["zh"]),
        en=str(entry["en"]),
        party=party,
        identifiers=identifiers,
        required_any=required_any,
        nhsa_layout=layout,
        attributes=attributes,
        practises=bool(entry.get("practises", False)),
        hosts_practice=bool(entry.get("hosts_practice", False)),
    )


@cache
def registry() -> Mapping[str, SubjectKind]:
    """Every configured kind by its code, loaded once."""
    text = resources.files(__package__).joinpath("kinds.yaml").read_text(encoding="utf-8")
    entries: dict[str, dict[str, Any]] = yaml.safe_load(text)["kinds"]
    return MappingProxyType({code: _kind_from(code, entry) for code, entry in entries.items()})


def get_kind(code: str, *, field: str = "kind") -> SubjectKind:
    """The kind called `code`, or an error naming the field and the kinds that exist."""
    kind = registry().get(code)
    if kind is None:
        known = ", ".join(registry())
        raise InvalidInput(f"{field} must be one of: {known}", field=field, rule="known_kind")
    return kind
