"""Evidence files: content sniffed (a disguised file is refused), size limited, SHA-256 kept,
stored once outside the database."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from api.db import Database
from credit.kernel.errors import Conflict, InvalidInput
from repair import repository
from repair.models import OwnerKind
from tests.repair.support import (
    EXE,
    OFFICER,
    PDF,
    PNG,
    add_record,
    ago,
    attach,
    file_objection,
    hospital,
    move_objection,
    seed,
    subject_actor,
)


async def _objection(db: Database):  # type: ignore[no-untyped-def]
    await seed(db)
    subject_id = await hospital(db, 1)
    record_id = await add_record(db, subject_id, "ENF-38-SPLIT-ADMISSION", ago(30), "r")
    subject = subject_actor(subject_id)
    return subject, await file_objection(db, subject, target_type="record", target_id=record_id)


async def test_a_pdf_is_kept_by_its_digest_outside_the_database(
    db: Database, tmp_path: Path
) -> None:
    subject, objection = await _objection(db)
    stored = await attach(db, subject, objection, "evidence", tmp_path)
    digest = hashlib.sha256(PDF).hexdigest()
    assert (stored.sha256, stored.size, stored.media_type) == (digest, len(PDF), "application/pdf")
    assert (tmp_path / "store" / stored.storage_key).read_bytes() == PDF
    again = await attach(db, subject, objection, "evidence", tmp_path, file_name="copy.pdf")
    assert again.storage_key == stored.storage_key  # the same bytes are stored once


@pytest.mark.parametrize(
    ("content", "file_name", "rule", "said"),
    [
        (EXE, "判决书.pdf", "file_type", "Windows executable"),
        (PNG, "scan.pdf", "disguised_file", "image/png"),
        (b"#!/bin/sh\nrm -rf /\n", "notes.pdf", "file_type", "script"),
        (b"", "empty.pdf", "not_empty", "empty"),
    ],
)
async def test_disguised_or_unknown_content_is_refused(
    db: Database, tmp_path: Path, content: bytes, file_name: str, rule: str, said: str
) -> None:
    subject, objection = await _objection(db)
    with pytest.raises(InvalidInput) as refused:
        await attach(
            db, subject, objection, "evidence", tmp_path, content=content, file_name=file_name
        )
    assert refused.value.rule == rule
    assert said in refused.value.message
    async with db.transaction() as session:
        assert not await repository.evidence_of(session, OwnerKind.OBJECTION, objection.id or 0)
    assert not (tmp_path / "store").exists()


async def test_size_purpose_and_closed_cases(db: Database, tmp_path: Path) -> None:
    subject, objection = await _objection(db)
    with pytest.raises(InvalidInput) as large:
        await attach(db, subject, objection, "evidence", tmp_path, max_bytes=10)
    assert (large.value.rule, large.value.extra["limit_bytes"]) == ("max_size", 10)
    with pytest.raises(InvalidInput) as purpose:
        await attach(db, subject, objection, "commitment", tmp_path)
    assert purpose.value.rule == "purpose"
    await move_objection(db, OFFICER, objection.id or 0, "not_accepted", reason="超出异议范围")
    async with db.transaction() as session:
        closed = await repository.objection(session, objection.id or 0)
    assert closed is not None
    with pytest.raises(Conflict) as late:
        await attach(db, subject, closed, "evidence", tmp_path)
    assert late.value.rule == "case_closed"
