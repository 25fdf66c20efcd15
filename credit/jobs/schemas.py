"""What the jobs API answers about runs."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class JobRunPublic(BaseModel):
    id: int
    job: str
    scheduled_for: datetime
    trigger: str  # schedule, catch_up or manual
    status: str  # running, ok or failed
    started_at: datetime
    finished_at: datetime | None
    message: str | None
    counts: dict[str, int]
    claimed_by: str
