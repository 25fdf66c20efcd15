"""Evidence uploads and downloads for objections and repairs.

The file streams to disk under `var/uploads` (never held whole in memory, cut off at
`Settings.evidence_max_bytes` with a 413), is checked by its content and moved under
`var/evidence` by its SHA-256 (`repair.evidence`). Readers get it back as stored, never sniffed
by the browser.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api import uploads
from api.settings import Settings
from credit.kernel.actor import Actor
from repair import evidence
from repair.evidence import SIGNATURES, UNSPECIFIC
from repair.models import EvidencePurpose
from repair.schemas import EvidencePublic
from repair.workflow import Case

BODY_TYPES = frozenset({*SIGNATURES, *(t for t in UNSPECIFIC if t)})


def evidence_dir(settings: Settings) -> Path:
    return settings.var_dir / "evidence"


async def upload(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    actor: Actor,
    settings: Settings,
    case: Case,
    purpose: EvidencePurpose,
) -> EvidencePublic:
    limit = uploads.Limit(
        settings.evidence_max_bytes,
        what="evidence file",
        hint="send a smaller scan or ask an administrator to raise MEDCREDIT_EVIDENCE_MAX_BYTES",
    )
    received = await uploads.receive(
        request,
        directory=settings.var_dir / "uploads",
        limit=limit,
        media_types=BODY_TYPES,
        purpose="an evidence file type",
    )
    try:
        stored = await evidence.attach(
            session,
            actor,
            case,
            purpose,
            received.path,
            file_name=received.file_name,
            declared_type=received.media_type,
            directory=evidence_dir(settings),
            max_bytes=settings.evidence_max_bytes,
        )
    finally:
        uploads.discard(received.path)  # already moved when it was kept
    return EvidencePublic(
        id=stored.id or 0,
        purpose=stored.purpose,
        file_name=stored.file_name,
        media_type=stored.media_type,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_at=stored.uploaded_at,
    )


async def download(
    session: AsyncSession, settings: Settings, case: Case, evidence_id: int
) -> Response[bytes]:
    stored = await evidence.find(session, case, evidence_id)
    content = b"".join(evidence.chunks(evidence_dir(settings), stored))
    return Response(
        content,
        media_type=stored.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="evidence-{stored.id}"; '
            f"filename*=UTF-8''{quote(stored.file_name)}",
            "X-Content-Type-Options": "nosniff",
            "X-Content-SHA256": stored.sha256,
        },
    )
