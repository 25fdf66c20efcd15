"""Evidence files of objections and repairs: checked by content, stored once by SHA-256.

A file's type is what its first bytes say, not its name or the type the sender declared: a PDF,
PNG or JPEG is taken; anything else (an executable renamed `.pdf`, a script) is refused, and so is
a name or declared type that disagrees with the content. Files live under a directory the caller
names (the app's `var/evidence`), named by their digest; the database row is what makes one
visible, and only to the subject and regulators.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path, PurePath

from sqlalchemy.ext.asyncio import AsyncSession

from credit.kernel.actor import Actor
from credit.kernel.clock import utcnow
from credit.kernel.errors import Conflict, InvalidInput, NotFound
from repair import repository, workflow
from repair.models import EvidenceFile, EvidencePurpose, Objection, OwnerKind
from repair.workflow import Case

SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
EXTENSIONS = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg"}
EXTENSIONS[".jpeg"] = "image/jpeg"
# What a sender may declare without saying anything about the content.
UNSPECIFIC = frozenset({"", "application/octet-stream", "binary/octet-stream"})
# Signatures of content that is refused by name, so the answer says what it was.
KNOWN_BAD = {b"MZ": "a Windows executable", b"\x7fELF": "an ELF executable", b"#!": "a script"}
ACCEPTED = ", ".join(sorted(SIGNATURES))
PURPOSES = {
    OwnerKind.OBJECTION: frozenset({EvidencePurpose.EVIDENCE}),
    OwnerKind.REPAIR: frozenset(EvidencePurpose),
}


def sniff(head: bytes) -> str | None:
    """The media type the content's first bytes announce, among those taken."""
    for media_type, signatures in SIGNATURES.items():
        if any(head.startswith(signature) for signature in signatures):
            return media_type
    return None


def _what(head: bytes) -> str:
    for signature, name in KNOWN_BAD.items():
        if head.startswith(signature):
            return name
    return "not a PDF, PNG or JPEG file"


def check_content(head: bytes, size: int, file_name: str | None, declared: str | None) -> str:
    """The sniffed media type, or InvalidInput naming why the file is refused."""
    if size == 0:
        raise InvalidInput("the file is empty", field="file", rule="not_empty")
    sniffed = sniff(head)
    if sniffed is None:
        raise InvalidInput(
            f"the file's content is {_what(head)}; evidence is taken as {ACCEPTED}",
            field="file",
            rule="file_type",
            extra={"accepted": sorted(SIGNATURES)},
        )
    suffix = PurePath(file_name or "").suffix.lower()
    named = EXTENSIONS.get(suffix)
    if suffix and named != sniffed:
        raise InvalidInput(
            f"the file is named {file_name!r} but its content is {sniffed}; "
            "a file whose name disguises its content is refused",
            field="file",
            rule="disguised_file",
        )
    if (declared or "") not in UNSPECIFIC and declared != sniffed:
        raise InvalidInput(
            f"the file was sent as {declared} but its content is {sniffed}",
            field="file",
            rule="disguised_file",
        )
    return sniffed


def _digest(path: Path) -> tuple[str, bytes]:
    hasher = hashlib.sha256()
    with path.open("rb") as handle:
        head = handle.read(64)
        hasher.update(head)
        for block in iter(lambda: handle.read(1 << 20), b""):
            hasher.update(block)
    return hasher.hexdigest(), head


def _inspect(
    received: Path, max_bytes: int, file_name: str | None, declared: str | None
) -> tuple[int, str, str]:
    """(size, SHA-256, sniffed media type) of a received file, or InvalidInput."""
    size = received.stat().st_size
    if size > max_bytes:
        raise InvalidInput(
            f"the file is {size} bytes; evidence may be at most {max_bytes} bytes",
            field="file",
            rule="max_size",
            extra={"limit_bytes": max_bytes},
        )
    digest, head = _digest(received)
    return size, digest, check_content(head, size, file_name, declared)


def _store(source: Path, directory: Path, digest: str) -> str:
    """Move the received file into place under its digest; the key relative to `directory`."""
    key = f"{digest[:2]}/{digest}"
    target = directory / key
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        source.unlink(missing_ok=True)  # the same bytes were stored before
    else:
        try:
            os.replace(source, target)
        except OSError:  # another file system: copy, then drop the received one
            shutil.copyfile(source, target)
            source.unlink(missing_ok=True)
    return key


async def attach(
    session: AsyncSession,
    actor: Actor,
    case: Case,
    purpose: EvidencePurpose,
    received: Path,
    *,
    file_name: str | None,
    declared_type: str | None,
    directory: Path,
    max_bytes: int,
) -> EvidenceFile:
    """Check the received file and keep it with the case; nothing is kept when it is refused."""
    kind = OwnerKind(workflow.kind_of(case))
    if purpose not in PURPOSES[kind]:
        allowed = ", ".join(sorted(PURPOSES[kind]))
        raise InvalidInput(
            f"an {kind} takes files of purpose {allowed}", field="purpose", rule="purpose"
        )
    if not workflow.is_open(case):
        raise Conflict(
            f"{kind} {case.id} is {case.status}; files are added while it is open",
            field="status",
            rule="case_closed",
            extra={"current_status": case.status},
        )
    size, digest, media_type = await asyncio.to_thread(
        _inspect, received, max_bytes, file_name, declared_type
    )
    storage_key = await asyncio.to_thread(_store, received, directory, digest)
    assert case.id is not None
    stored = EvidenceFile(
        owner_kind=str(kind),
        owner_id=case.id,
        subject_id=case.subject_id,
        purpose=str(purpose),
        file_name=(file_name or f"{purpose}{_suffix(media_type)}")[:255],
        media_type=media_type,
        size=size,
        sha256=digest,
        storage_key=storage_key,
        uploaded_by=actor.name,
        uploaded_role=str(actor.role),
        uploaded_at=utcnow(),
    )
    session.add(stored)
    await session.flush()
    await workflow.record_event(
        session,
        actor,
        case,
        case.status,
        action="evidence",
        reason=None,
        changes={"evidence_id": stored.id, "purpose": str(purpose), "sha256": digest, "size": size},
    )
    return stored


def _suffix(media_type: str) -> str:
    return next(suffix for suffix, known in EXTENSIONS.items() if known == media_type)


async def find(session: AsyncSession, case: Case, evidence_id: int) -> EvidenceFile:
    kind = OwnerKind.OBJECTION if isinstance(case, Objection) else OwnerKind.REPAIR
    assert case.id is not None
    found = await repository.evidence(session, kind, case.id, evidence_id)
    if found is None:
        raise NotFound(
            f"{kind} {case.id} has no evidence file {evidence_id}",
            field="evidence_id",
            rule="exists",
        )
    return found


def chunks(directory: Path, stored: EvidenceFile) -> Iterator[bytes]:
    """The stored bytes; NotFound if the file went missing from disk."""
    path = directory / stored.storage_key
    if not path.is_file():
        raise NotFound(
            f"evidence file {stored.id} is recorded but missing from storage",
            field="evidence_id",
            rule="stored",
        )
    with path.open("rb") as handle:
        yield from iter(lambda: handle.read(1 << 16), b"")


def purposes_present(files: list[EvidenceFile]) -> set[EvidencePurpose]:
    return {EvidencePurpose(item.purpose) for item in files}
