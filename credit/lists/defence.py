"""The subject's statement and defence (陈述申辩) against a blacklist notice, with attachments.

Files are kept in the database: they commit or roll back with the defence they belong to, and
backups carry them. The limits keep one defence to a few megabytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from credit.audit import service as audit
from credit.kernel.actor import Actor
from credit.kernel.clock import business_today, utcnow
from credit.kernel.errors import Conflict, InvalidInput, NotFound
from credit.lists import repository
from credit.lists.models import EntryStatus, ListEntryAttachment, ListEntryDefence
from credit.lists.schemas import DefenceInput
from credit.lists.service import readable_entry
from credit.policy.vocabulary import ListName

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_DEFENCE_BYTES = 8 * 1024 * 1024
ATTACHMENT_MEDIA_TYPES = frozenset(
    {
        "application/pdf",
        "image/jpeg",
        "image/png",
        "text/plain",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/zip",
    }
)


def _decoded(index: int, content: str) -> bytes:
    try:
        raw = base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(
            f"attachments[{index}].content_base64 is not base64",
            field=f"attachments[{index}].content_base64",
            rule="base64",
        ) from None
    if len(raw) > MAX_ATTACHMENT_BYTES:
        raise InvalidInput(
            f"attachments[{index}] is {len(raw)} bytes; the limit is {MAX_ATTACHMENT_BYTES}",
            field=f"attachments[{index}]",
            rule="max_size",
            extra={"limit_bytes": MAX_ATTACHMENT_BYTES},
        )
    return raw


async def submit_defence(
    session: AsyncSession,
    actor: Actor,
    list_name: ListName,
    entry_id: int,
    defence: DefenceInput,
    *,
    today: date | None = None,
) -> ListEntryDefence:
    """Store a statement and defence while the notice period runs (its last day included).

    A subject defends only its own entries; an officer may register one received on paper.
    """
    entry = await readable_entry(session, actor, list_name, entry_id)
    today = today or business_today()
    if entry.status != EntryStatus.NOTIFIED or entry.notice_deadline is None:
        raise Conflict(
            f"{list_name} list entry {entry_id} is {entry.status}; a statement and defence is "
            "taken while a served notice's period runs",
            field="status",
            rule="defence_not_open",
            extra={"current_status": entry.status},
        )
    if today > entry.notice_deadline:
        raise Conflict(
            f"the period to state and defend ended on {entry.notice_deadline.isoformat()}",
            field="notice_deadline",
            rule="defence_deadline",
            extra={"notice_deadline": entry.notice_deadline.isoformat()},
        )
    files = [_decoded(index, item.content_base64) for index, item in enumerate(defence.attachments)]
    if sum(len(raw) for raw in files) > MAX_DEFENCE_BYTES:
        raise InvalidInput(
            f"the attachments together exceed {MAX_DEFENCE_BYTES} bytes",
            field="attachments",
            rule="max_size",
            extra={"limit_bytes": MAX_DEFENCE_BYTES},
        )
    for index, item in enumerate(defence.attachments):
        if item.media_type not in ATTACHMENT_MEDIA_TYPES:
            raise InvalidInput(
                f"attachments[{index}] is {item.media_type}; send one of "
                f"{', '.join(sorted(ATTACHMENT_MEDIA_TYPES))}",
                field=f"attachments[{index}].media_type",
                rule="media_type",
            )
    assert entry.id is not None
    stored = ListEntryDefence(
        entry_id=entry.id,
        statement=defence.statement,
        submitted_by=actor.name,
        submitted_role=str(actor.role),
        submitted_at=utcnow(),
    )
    session.add(stored)
    await session.flush()
    assert stored.id is not None
    digests = []
    for item, raw in zip(defence.attachments, files, strict=True):
        digest = hashlib.sha256(raw).hexdigest()
        digests.append({"file_name": item.file_name, "size": len(raw), "sha256": digest})
        session.add(
            ListEntryAttachment(
                defence_id=stored.id,
                entry_id=entry.id,
                file_name=item.file_name,
                media_type=item.media_type,
                size=len(raw),
                sha256=digest,
                content=raw,
            )
        )
    await session.flush()
    await audit.record(
        session,
        actor,
        "list_entry.defence",
        "list_entry",
        entry.id,
        {
            "defence_id": stored.id,
            "statement_sha256": hashlib.sha256(defence.statement.encode()).hexdigest(),
            "attachments": digests,
        },
    )
    return stored


async def attachment_of(
    session: AsyncSession, actor: Actor, list_name: ListName, entry_id: int, attachment_id: int
) -> ListEntryAttachment:
    entry = await readable_entry(session, actor, list_name, entry_id)
    assert entry.id is not None
    found = await repository.attachment(session, entry.id, attachment_id)
    if found is None:
        raise NotFound(
            f"entry {entry_id} has no attachment {attachment_id}",
            field="attachment_id",
            rule="exists",
        )
    return found
