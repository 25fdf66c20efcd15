"""Pack files: YAML with a header (code, title, effective_from) and the document's keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from credit.policy.document import (
    PackHeader,
    PolicyDocument,
    PolicyDocumentInvalid,
    problems_of,
    validate_document,
)
from credit.policy.fields import Problem

HEADER_KEYS = ("code", "title", "effective_from")


@dataclass(frozen=True, slots=True)
class PackFile:
    code: str
    title: str
    effective_from: date
    document: PolicyDocument
    source: str


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML that refuses a key given twice (PyYAML would keep the last one silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def parse_pack(text: str, source: str) -> PackFile:
    """A validated pack from YAML text; PolicyDocumentInvalid names the file, path and rule."""
    try:
        raw = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise PolicyDocumentInvalid(
            [Problem(where, "yaml_syntax", problem)], source=source
        ) from None
    if not isinstance(raw, dict):
        raise PolicyDocumentInvalid(
            [Problem("", "mapping", "a pack file is a mapping of keys")], source=source
        )
    header_fields = {key: raw.pop(key) for key in HEADER_KEYS if key in raw}
    problems: list[Problem] = []
    try:
        header = PackHeader.model_validate(header_fields)
    except ValidationError as error:
        problems = problems_of(error)
    try:
        document = validate_document(raw, source=source)
    except PolicyDocumentInvalid as invalid:
        raise PolicyDocumentInvalid([*problems, *invalid.problems], source=source) from None
    if problems:
        raise PolicyDocumentInvalid(problems, source=source)
    return PackFile(header.code, header.title, header.effective_from, document, source)


def load_pack_file(path: Path) -> PackFile:
    """Read and validate one pack file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PolicyDocumentInvalid(
            [Problem("", "readable_file", str(error))], source=str(path)
        ) from None
    return parse_pack(text, str(path))


@cache
def shipped_packs() -> tuple[PackFile, ...]:
    """The default packs under credit/policy/defaults, in file-name order."""
    folder = resources.files("credit.policy").joinpath("defaults")
    files = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".yaml")),
        key=lambda entry: entry.name,
    )
    return tuple(
        parse_pack(entry.read_text(encoding="utf-8"), f"defaults/{entry.name}") for entry in files
    )
