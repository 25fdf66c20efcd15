"""Importing periodic subject metrics: conventions, validation and idempotency."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from api.db import Database
from credit.metrics.models import SubjectMetric
from tests.api.imports_support import (
    CSV,
    METRIC_COLUMNS,
    NDJSON,
    XLSX,
    csv_text,
    metric,
    ndjson,
    seed,
    xlsx,
)
from tests.conftest import AuthHeaders

Client = AsyncTestClient[Litestar]
IMPORT = "/api/v1/metrics/import"


async def _stored(db: Database) -> list[SubjectMetric]:
    async with db.transaction() as session:
        query = select(SubjectMetric).order_by(SubjectMetric.source_ref)  # type: ignore[arg-type]
        return list((await session.execute(query)).scalars())


async def test_metrics_csv_is_stored_with_exact_rates_and_derived_average(
    client: Client, db: Database, auth_headers: AuthHeaders
) -> None:
    hospital = await seed(db)
    officer = await auth_headers("officer")
    rows = [
        metric(hospital, "m1"),
        metric(hospital, "m2", period="2025-12", discharges=3, total_cost="100.00",
               fund_payment="70.00", refusal_rate="0.125", suspect_rate=None),
        metric(hospital, "m3", period="2025", average_cost="8000.00"),
    ]  # fmt: skip
    answer = await client.post(
        IMPORT, content=csv_text(rows, METRIC_COLUMNS).encode(), headers={**officer, **CSV}
    )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["created"], answer.json()["rejected"]) == (3, 0)

    quarter, month, year = await _stored(db)
    assert (quarter.period, quarter.period_start, quarter.period_end) == (
        "2026Q1", date(2026, 1, 1), date(2026, 3, 31),
    )  # fmt: skip
    assert quarter.refusal_rate == Decimal("0.015000")  # "1.5%"
    assert quarter.suspect_rate == Decimal("0.042000")
    assert quarter.average_cost == Decimal("8000.00")  # 9,600,000 / 1,200
    assert (month.period_kind, month.average_cost, month.suspect_rate) == (
        "month",
        Decimal("33.33"),
        None,
    )
    assert (year.period, year.period_end) == ("2025", date(2025, 12, 31))


async def test_metrics_resend_is_unchanged_and_other_figures_conflict(
    client: Client, db: Database, auth_headers: AuthHeaders
) -> None:
    hospital = await seed(db)
    officer = await auth_headers("officer")
    sent = ndjson([metric(hospital, "m1")])
    await client.post(IMPORT, content=sent, headers={**officer, **NDJSON})

    again = await client.post(IMPORT, content=sent, headers={**officer, **NDJSON})
    assert (again.json()["created"], again.json()["unchanged"]) == (0, 1)
    # The same figures written differently are the same row.
    same = ndjson([metric(hospital, "m1", refusal_rate=0.015, total_cost="9,600,000")])
    assert (await client.post(IMPORT, content=same, headers={**officer, **NDJSON})).json()[
        "unchanged"
    ] == 1

    other = ndjson([metric(hospital, "m1", discharges=1201, total_cost="9600800.00"),
                    metric(hospital, "m9")])  # fmt: skip
    answer = await client.post(IMPORT, content=other, headers={**officer, **NDJSON})
    assert [(e["line"], e["field"], e["rule"]) for e in answer.json()["errors"]] == [
        (1, "source_ref", "conflict"),
        (2, "period", "once_per_period"),
    ]
    assert "under source_ref m1" in answer.json()["errors"][1]["message"]
    assert [row.discharges for row in await _stored(db)] == [1200]


async def test_each_broken_metrics_rule_is_named(
    client: Client, db: Database, auth_headers: AuthHeaders
) -> None:
    hospital = await seed(db)
    officer = await auth_headers("officer")
    rows = [
        metric(hospital, "a", refusal_rate="3.5"),
        metric(hospital, "b", total_cost="-1.00", fund_payment="0"),
        metric(999_999, "c"),
        metric(hospital, "d", period="2026-13"),
        metric(hospital, "e", period=f"{date.today().year + 1}Q1"),
        metric(hospital, "f", fund_payment="9600000.01"),
        metric(hospital, "g", period="2025Q2", average_cost="1.00"),
    ]
    answer = await client.post(
        IMPORT, content=csv_text(rows, METRIC_COLUMNS).encode(), headers={**officer, **CSV}
    )
    assert answer.status_code == 200
    found = {(e["line"], e["field"], e["rule"]) for e in answer.json()["errors"]}
    assert found == {
        (2, "refusal_rate", "rate_range"),
        (3, "total_cost", "not_negative"),
        (4, "subject_id", "exists"),
        (5, "period", "period_format"),
        (6, "period", "not_future"),
        (7, "fund_payment", "fund_within_total"),
        (8, "average_cost", "average_consistent"),
    }
    messages = {e["field"]: e["message"] for e in answer.json()["errors"]}
    assert "write a percentage as 3.5%" in messages["refusal_rate"]
    assert await _stored(db) == []


async def test_metrics_all_or_nothing_and_xlsx(
    client: Client, db: Database, auth_headers: AuthHeaders
) -> None:
    hospital = await seed(db)
    officer = await auth_headers("officer")
    rows = [metric(hospital, "m1"), metric(hospital, "m2", period="2025Q4", discharges=-1)]
    refused = await client.post(
        IMPORT,
        params={"mode": "all_or_nothing"},
        content=xlsx(rows, METRIC_COLUMNS),
        headers={**officer, **XLSX},
    )
    assert refused.status_code == 422
    assert [(e["line"], e["field"]) for e in refused.json()["errors"]] == [(3, "discharges")]
    assert await _stored(db) == []

    partial = await client.post(
        IMPORT, content=xlsx(rows, METRIC_COLUMNS), headers={**officer, **XLSX}
    )
    assert (partial.json()["created"], partial.json()["rejected"]) == (1, 1)
    batch = await client.get(
        f"/api/v1/metrics/imports/{partial.json()['import_id']}", headers=officer
    )
    assert batch.json()["kind"] == "metrics"
    # A metrics batch is not a records batch.
    wrong = await client.get(
        f"/api/v1/records/imports/{partial.json()['import_id']}", headers=officer
    )
    assert wrong.status_code == 404
