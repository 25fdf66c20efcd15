"""The jobs API: regulators see each job's schedule, next run and outcomes; an admin runs one."""

from __future__ import annotations

from datetime import datetime

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.jobs.registry import DEFAULT_JOBS
from tests.conftest import AuthHeaders

Client = AsyncTestClient[Litestar]


@pytest.mark.usefixtures("policy_defaults")
async def test_run_a_job_now_and_see_its_outcome(client: Client, auth_headers: AuthHeaders) -> None:
    reviewer = await auth_headers("reviewer")
    listed = await client.get("/api/v1/jobs", headers=reviewer)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["scheduler"] == "off"  # tests build the app without the embedded scheduler
    assert [job["name"] for job in body["jobs"]] == [spec.name for spec in DEFAULT_JOBS]
    lists = next(job for job in body["jobs"] if job["name"] == "lists")
    assert (lists["schedule"], lists["timezone"], lists["last_runs"]) == (
        "15 0 * * *",
        "Asia/Shanghai",
        [],
    )
    next_run = datetime.fromisoformat(lists["next_run_at"])
    assert (next_run.hour, next_run.minute) == (0, 15)
    assert lists["next_run_at"].endswith("+08:00")

    admin = await auth_headers("admin")
    ran = await client.post("/api/v1/jobs/lists/run", headers=admin)
    assert ran.status_code == 200, ran.text
    run = ran.json()
    assert (run["job"], run["trigger"], run["status"], run["counts"]) == (
        "lists",
        "manual",
        "ok",
        {"expired": 0},
    )
    assert run["finished_at"] is not None
    after = (await client.get("/api/v1/jobs", headers=reviewer)).json()
    lists = next(job for job in after["jobs"] if job["name"] == "lists")
    assert [last["id"] for last in lists["last_runs"]] == [run["id"]]


async def test_a_failed_job_answers_its_reason(client: Client, auth_headers: AuthHeaders) -> None:
    # No policy pack is in force on an empty database: the points job cannot know its year.
    admin = await auth_headers("admin")
    ran = await client.post("/api/v1/jobs/points_year/run", headers=admin)
    assert ran.status_code == 200
    assert ran.json()["status"] == "failed"
    assert "policy pack national" in ran.json()["message"]


async def test_only_an_admin_runs_and_only_known_jobs(
    client: Client, auth_headers: AuthHeaders
) -> None:
    officer = await auth_headers("officer")
    assert (await client.post("/api/v1/jobs/lists/run", headers=officer)).status_code == 403
    admin = await auth_headers("admin")
    unknown = await client.post("/api/v1/jobs/no_such_job/run", headers=admin)
    assert unknown.status_code == 404
    assert unknown.json()["field"] == "name"
    malformed = await client.post("/api/v1/jobs/Lists%20Now/run", headers=admin)
    assert malformed.status_code == 400
