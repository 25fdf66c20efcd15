"""The measures catalog in force: the national pack's measures, with the version they come from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from credit.kernel.clock import business_today
from credit.kernel.errors import InvalidInput
from credit.policy import regime
from credit.policy.lists import Measure


@dataclass(frozen=True, slots=True)
class MeasureCatalog:
    pack_version_id: int
    pack_version: int
    measures: tuple[Measure, ...]

    def get(self, code: str) -> Measure | None:
        return next((measure for measure in self.measures if measure.code == code), None)

    def require(self, code: str, *, field: str = "measure_code") -> Measure:
        """The measure `code`; only catalog measures may be assigned or named (422 otherwise)."""
        measure = self.get(code)
        if measure is None:
            raise InvalidInput(
                f"{code} is not a measure of the catalog in force "
                f"(national pack version {self.pack_version})",
                field=field,
                rule="known_measure",
            )
        return measure


async def in_force(session: AsyncSession, on: date | None = None) -> MeasureCatalog:
    """The catalog of the national pack in force on `on` (today)."""
    rules = await regime.national_rules(session, on or business_today())
    return MeasureCatalog(rules.version_id, rules.version.version, tuple(rules.pack.measures))
