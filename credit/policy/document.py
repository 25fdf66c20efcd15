"""The typed document of a policy pack: validation with paths and rules, canonical form, digest."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from functools import lru_cache
from typing import Any

from pydantic import Field, ValidationError

from credit.kernel.errors import InvalidInput
from credit.policy.fields import PackModel, Problem, Text
from credit.policy.national import NationalPack
from credit.policy.profile import EvaluationProfile
from credit.policy.vocabulary import PackKind

PolicyDocument = NationalPack | EvaluationProfile
DOCUMENT_MODELS: dict[str, type[NationalPack] | type[EvaluationProfile]] = {
    PackKind.NATIONAL: NationalPack,
    PackKind.EVALUATION_PROFILE: EvaluationProfile,
}
PACK_CODE_PATTERN = r"^[a-z][a-z0-9-]{1,63}$"
# Pydantic's error types renamed to the rule vocabulary the API and the CLI speak.
RULE_OF_ERROR_TYPE = {
    "extra_forbidden": "unknown_key",
    "missing": "required",
    "enum": "known_value",
    "literal_error": "known_value",
    "string_pattern_mismatch": "pattern",
    "greater_than": "range",
    "greater_than_equal": "range",
    "less_than": "range",
    "less_than_equal": "range",
    "too_short": "length",
    "too_long": "length",
    "string_too_short": "length",
    "string_too_long": "length",
}


class PackHeader(PackModel):
    """What a pack file says about itself besides its document."""

    code: str = Field(pattern=PACK_CODE_PATTERN)
    title: Text
    effective_from: date


class PolicyDocumentInvalid(InvalidInput):
    """A pack that breaks rules; `problems` lists every one with its path and rule."""

    def __init__(
        self, problems: Sequence[Problem], *, source: str | None = None, prefix: str = ""
    ) -> None:
        self.problems = [
            Problem(_join(prefix, problem.path), problem.rule, problem.message)
            for problem in problems
        ]
        self.source = source
        first = self.problems[0]
        shown = "; ".join(self.describe(problem) for problem in self.problems[:8])
        more = f" (and {len(self.problems) - 8} more)" if len(self.problems) > 8 else ""
        super().__init__(
            f"policy pack breaks {len(self.problems)} rule(s): {shown}{more}",
            field=first.path or prefix or "document",
            rule=first.rule,
            extra={
                "problems": [
                    {"path": p.path, "rule": p.rule, "message": p.message} for p in self.problems
                ],
                **({"file": source} if source else {}),
            },
        )

    def describe(self, problem: Problem) -> str:
        """`file: path: message [rule]`, the line the CLI prints."""
        where = f"{self.source}: " if self.source else ""
        return f"{where}{problem.path or '(document)'}: {problem.message} [{problem.rule}]"


def _join(prefix: str, path: str) -> str:
    if not prefix:
        return path
    if not path:
        return prefix
    return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"


def path_of(location: Iterable[int | str]) -> str:
    """`('catalog', 12, 'severity')` → `catalog[12].severity`."""
    path = ""
    for part in location:
        path = f"{path}[{part}]" if isinstance(part, int) else _join(path, str(part))
    return path


def problems_of(error: ValidationError) -> list[Problem]:
    """Each pydantic error as a Problem with a readable path and a rule name."""
    problems = []
    for item in error.errors(include_url=False):
        rule = RULE_OF_ERROR_TYPE.get(item["type"], item["type"])
        path = path_of(item["loc"])
        message = str(item["msg"])
        if rule == "unknown_key":
            message = f"unknown key {str(item['loc'][-1])!r}"
        problems.append(Problem(path, rule, message))
    return problems


def _model_for(raw: Mapping[str, Any]) -> type[NationalPack] | type[EvaluationProfile]:
    kind = raw.get("kind")
    model = DOCUMENT_MODELS.get(kind) if isinstance(kind, str) else None
    if model is None:
        known = ", ".join(DOCUMENT_MODELS)
        raise PolicyDocumentInvalid(
            [Problem("kind", "known_value", f"kind must be one of: {known}")]
        )
    return model


def validate_document(
    raw: object, *, source: str | None = None, prefix: str = ""
) -> PolicyDocument:
    """The typed document, or PolicyDocumentInvalid listing every problem (nothing is partial)."""
    try:
        if not isinstance(raw, Mapping):
            raise PolicyDocumentInvalid([Problem("", "mapping", "a pack document is a mapping")])
        model = _model_for(raw)
        document = model.model_validate(dict(raw))
    except PolicyDocumentInvalid as invalid:
        raise PolicyDocumentInvalid(invalid.problems, source=source, prefix=prefix) from None
    except ValidationError as error:
        raise PolicyDocumentInvalid(problems_of(error), source=source, prefix=prefix) from None
    problems = list(document.problems())
    if problems:
        raise PolicyDocumentInvalid(problems, source=source, prefix=prefix)
    return document


def canonical_json(document: PolicyDocument) -> str:
    """The stored text: defaults filled in, keys sorted, so equal documents hash equally."""
    return json.dumps(
        document.model_dump(mode="json"), ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@lru_cache(maxsize=64)
def parse_stored(text: str) -> PolicyDocument:
    """A stored document parsed once per process; stored documents were validated on write."""
    return validate_document(json.loads(text))


def document_dict(text: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(text)
    return loaded
