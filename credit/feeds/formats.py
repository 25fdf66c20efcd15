"""How a snapshot's entries are written: JSON, NDJSON, CSV for Excel, FollowTheMoney entities.

Each format is a header, one piece per entry and a footer, so a list of any size is written
chunk by chunk. A rendering depends only on the entries, never on the clock, so the same
snapshot version always gives the same bytes (its checksum and signature are computed ahead).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson

from credit.kernel.errors import DomainError
from credit.subjects.kinds import Party, registry

# Bump when any rendering changes: stored checksums of older renderings are then not reused.
RENDERING_REVISION = 1
UTF8_BOM = "\ufeff".encode()
LIST_TITLES = {
    "black": "严重失信主体名单 (serious dishonesty list)",
    "red": "守信激励名单 (red list)",
    "focus": "重点关注名单 (focus list)",
}
CSV_COLUMNS = (
    "entry_id",
    "list",
    "status",
    "subject_id",
    "subject_name",
    "subject_kind",
    "region_code",
    "uscc",
    "nhsa_code",
    "resident_id",
    "criterion_code",
    "reasons",
    "legal_basis",
    "record_ids",
    "decided_on",
    "valid_from",
    "valid_until",
)
# Excel runs a cell starting with these as a formula; such text is written with a leading '.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class SnapshotFormat(StrEnum):
    JSON = "json"
    NDJSON = "ndjson"
    CSV = "csv"
    FTM = "ftm"


MEDIA_TYPES = {
    SnapshotFormat.JSON: "application/json",
    SnapshotFormat.NDJSON: "application/x-ndjson",
    SnapshotFormat.CSV: "text/csv; charset=utf-8",
    SnapshotFormat.FTM: "application/x-ndjson",
}
FILE_SUFFIX = {
    SnapshotFormat.JSON: "json",
    SnapshotFormat.NDJSON: "ndjson",
    SnapshotFormat.CSV: "csv",
    SnapshotFormat.FTM: "ftm.json",
}


class UnknownFormat(DomainError):
    """400: a snapshot format this API does not write."""

    title = "Unknown format"


def parse_format(value: str | None) -> SnapshotFormat:
    try:
        return SnapshotFormat(value or "json")
    except ValueError:
        known = ", ".join(SnapshotFormat)
        raise UnknownFormat(
            f"format {value!r} is not offered; choose one of {known}",
            field="format",
            rule="known_format",
        ) from None


@dataclass(frozen=True, slots=True)
class Rendering:
    """Bytes before the entries, for each entry (given its decoded body), and after them."""

    header: Callable[[str, int], bytes]
    entry: Callable[[dict[str, Any], bool], bytes]  # (body, first entry?)
    footer: Callable[[int], bytes]
    decodes: bool  # False: the stored JSON text is written as it is (see `raw_entry`)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = "；".join(str(item) for item in value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_line(values: list[Any]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([_cell(value) for value in values])
    return buffer.getvalue().encode()


def _csv_entry(body: dict[str, Any], _first: bool) -> bytes:
    subject = body.get("subject") or {}
    return _csv_line(
        [
            body.get("entry_id"),
            body.get("list"),
            body.get("status"),
            subject.get("id"),
            subject.get("name"),
            subject.get("kind"),
            subject.get("region_code"),
            subject.get("uscc"),
            subject.get("nhsa_code"),
            subject.get("resident_id") or subject.get("resident_id_masked"),
            body.get("criterion_code"),
            body.get("reasons"),
            body.get("legal_basis"),
            " ".join(str(record) for record in body.get("record_ids") or []),
            body.get("decided_on"),
            body.get("valid_from"),
            body.get("valid_until"),
        ]
    )


def _props(**values: Any) -> dict[str, list[str]]:
    """FtM properties: lists of strings, empty values left out."""
    found: dict[str, list[str]] = {}
    for name, value in values.items():
        items = value if isinstance(value, list) else [value]
        kept = [str(item) for item in items if item not in (None, "")]
        if kept:
            found[name] = kept
    return found


def subject_schema(kind: str) -> str:
    found = registry().get(kind)
    if found is None:
        return "LegalEntity"
    return "Person" if found.party is Party.PERSON else "Organization"


def ftm_entities(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The subject (Organization / Person / LegalEntity) and the Sanction the entry is."""
    subject = body.get("subject") or {}
    schema = subject_schema(str(subject.get("kind")))
    subject_id = f"medcredit-subject-{subject.get('id')}"
    identifiers: dict[str, Any] = {"registrationNumber": subject.get("nhsa_code")}
    if schema == "Person":
        # A masked number identifies nobody; only the full number is given, to `pii` readers.
        identifiers |= {"idNumber": subject.get("resident_id"), "nationality": "cn"}
    else:
        identifiers |= {"uscCode": subject.get("uscc")}
    party = {
        "id": subject_id,
        "schema": schema,
        "properties": _props(name=subject.get("name"), country="cn", **identifiers),
    }
    sanction = {
        "id": f"medcredit-{body.get('list')}-{body.get('entry_id')}",
        "schema": "Sanction",
        "properties": _props(
            entity=subject_id,
            program=LIST_TITLES.get(str(body.get("list")), body.get("list")),
            programId=f"medcredit-{body.get('list')}",
            recordId=body.get("entry_id"),
            status=body.get("status"),
            reason=body.get("reasons") or [],
            provisions=body.get("legal_basis"),
            date=body.get("decided_on"),
            listingDate=body.get("valid_from"),
            startDate=body.get("valid_from"),
            endDate=body.get("valid_until"),
            country="cn",
            publisher="medcredit",
        ),
    }
    return [party, sanction]


def _ftm_entry(body: dict[str, Any], _first: bool) -> bytes:
    return b"".join(orjson.dumps(entity) + b"\n" for entity in ftm_entities(body))


def _json_header(stream: str, version: int) -> bytes:
    return b'{"list":"%s","version":"%d","entries":[' % (stream.encode(), version)


RENDERINGS = {
    SnapshotFormat.JSON: Rendering(
        header=_json_header,
        entry=lambda body, first: (b"" if first else b",") + orjson.dumps(body),
        footer=lambda count: b'],"count":%d}' % count,
        decodes=False,
    ),
    SnapshotFormat.NDJSON: Rendering(
        header=lambda stream, version: b"",
        entry=lambda body, first: orjson.dumps(body) + b"\n",
        footer=lambda count: b"",
        decodes=False,
    ),
    SnapshotFormat.CSV: Rendering(
        header=lambda stream, version: UTF8_BOM + _csv_line(list(CSV_COLUMNS)),
        entry=_csv_entry,
        footer=lambda count: b"",
        decodes=True,
    ),
    SnapshotFormat.FTM: Rendering(
        header=lambda stream, version: b"",
        entry=_ftm_entry,
        footer=lambda count: b"",
        decodes=True,
    ),
}


def raw_entry(fmt: SnapshotFormat, text: str, first: bool) -> bytes:
    """A stored body written without decoding it (JSON and NDJSON read without `pii`)."""
    if fmt is SnapshotFormat.JSON:
        return (b"" if first else b",") + text.encode()
    return text.encode() + b"\n"
