"""Name matching for partners (DESIGN 9): candidates with a score and what matched.

Candidates come from indexes only, at a bounded cost: the exact identifiers given (when one
matches, nothing else is searched: it wins); the stored name key and pinyin key (when the name
key matches, the character pairs are not searched: they would add only weaker candidates);
otherwise subjects sharing the key's character pairs, leaving out pairs so common (长沙, 医药)
that they say little and would make the search count thousands of names; at most RETRIEVE
candidates per source. Each is then scored in memory:

- an identifier that matches exactly wins (1.0), whatever the name says;
- the same name, written identically: 1.0 for the name; after normalisation (traditional →
  simplified, full-width, spaces): 0.97; apart from the legal form (有限公司): 0.93;
- the same core with a different kind of place (医院 vs 药店): 0.6, they are different bodies;
- the same pinyin written differently (a homophone, 陈玮 for 陈伟): 0.8;
- otherwise how alike the characters and the pinyin are, at most 0.75;
- an identifier given that contradicts the candidate's caps its score at 0.3.

A partner sees organisations and the persons on a list it may see; persons on no list (an
insured person, a physician in good standing) are not disclosed to partners.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rapidfuzz import fuzz

from credit.feeds import repository
from credit.feeds.verify import wanted
from credit.kernel.actor import Actor
from credit.kernel.clock import business_today
from credit.kernel.errors import DomainError, InvalidInput
from credit.kernel.statements import Row, Statements
from credit.subjects import identifiers as ids
from credit.subjects.kinds import Party, get_kind, registry
from credit.subjects.names import NameKey, key_of
from credit.subjects.pii import PersonalIdentifiers

MAX_QUERIES = 100
RETRIEVE = 30  # candidates fetched per source before scoring
# A character pair held by more names than this is not searched (长沙 in a province's names).
COMMON_GRAM_POSTINGS = 2000
POSTINGS_TTL_SECONDS = 600.0
POSTINGS_KEPT = 100_000
MIN_SCORE = 0.5
EXACT, NORMALISED, LEGAL_FORM, OTHER_PLACE, HOMOPHONE, FUZZY_CAP = 1.0, 0.97, 0.93, 0.6, 0.8, 0.75
CONTRADICTED_CAP = 0.3


class BadQuery(DomainError):
    """400 naming the query and field at fault."""

    title = "Invalid match query"


@dataclass(frozen=True, slots=True)
class MatchQuery:
    name: str
    kind: str | None = None
    uscc: str | None = None
    resident_id: str | None = None
    nhsa_code: str | None = None


@dataclass(slots=True)
class Candidate:
    subject: dict[str, Any]
    score: float
    matched_on: list[str]
    explanation: list[str]
    lists: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Identifiers:
    """The query's identifiers as stored: (column, stored value, label) each."""

    pairs: tuple[tuple[str, str, str], ...]


def _checked_identifiers(index: int, query: MatchQuery, pii: PersonalIdentifiers) -> _Identifiers:
    pairs: list[tuple[str, str, str]] = []
    for name in ("uscc", "resident_id", "nhsa_code"):
        value = getattr(query, name)
        if not value:
            continue
        where = f"queries[{index}].{name}"
        try:
            if name == "uscc":
                pairs.append(("uscc", ids.validate_uscc(value, field=where), name))
            elif name == "resident_id":
                number = ids.validate_resident_id(value, field=where)
                pairs.append(("resident_id_hash", pii.lookup_hash("resident_id", number), name))
            else:
                pairs.append(("nhsa_code", _nhsa(value, query.kind, where), name))
        except InvalidInput as error:
            raise BadQuery(error.message, field=where, rule=error.rule) from None
    return _Identifiers(tuple(pairs))


def _nhsa(value: str, kind: str | None, where: str) -> str:
    kinds = [get_kind(kind)] if kind else [k for k in registry().values() if k.nhsa_layout]
    last: InvalidInput | None = None
    for candidate in kinds:
        try:
            return ids.validate_nhsa_code(value, candidate, field=where)
        except InvalidInput as error:
            last = error if last is None or error.rule != "prefix" else last
    assert last is not None
    raise last


def _check_query(index: int, query: MatchQuery) -> NameKey:
    if query.kind is not None:
        try:
            get_kind(query.kind, field=f"queries[{index}].kind")
        except DomainError as error:
            raise BadQuery(
                error.message, field=f"queries[{index}].kind", rule="known_kind"
            ) from None
    key = key_of(query.name)
    if not key.written:
        raise BadQuery(
            "the name has no letters or characters to compare",
            field=f"queries[{index}].name",
            rule="required",
        )
    return key


def _name_score(
    query: MatchQuery, key: NameKey, subject: Row
) -> tuple[float, list[str], list[str]]:
    """How alike the names are, what matched, and why, in words."""
    name = subject["name"]
    theirs = key_of(name)
    if name.strip() == query.name.strip():
        return EXACT, ["name"], ["name matches exactly"]
    if theirs.written == key.written:
        return (
            NORMALISED,
            ["name"],
            ["name matches after normalisation (traditional/simplified, full-width, spaces)"],
        )
    if theirs.core == key.core and key.core:
        if (
            theirs.suffix == key.suffix
            or "company" in (theirs.suffix, key.suffix)
            or not (theirs.suffix and key.suffix)
        ):
            return (
                LEGAL_FORM,
                ["name"],
                [f"name matches apart from the legal form or facility word ({name})"],
            )
        return (
            OTHER_PLACE,
            ["name"],
            [f"same name core {key.core}, but a {theirs.suffix} where a {key.suffix} was asked"],
        )
    if theirs.pinyin == key.pinyin and key.pinyin:
        return (
            HOMOPHONE,
            ["pinyin"],
            [f"sounds the same ({key.pinyin}), written differently: {theirs.core} for {key.core}"],
        )
    characters = fuzz.ratio(key.core, theirs.core) / 100
    sounds = fuzz.ratio(key.pinyin, theirs.pinyin) / 100
    score = FUZZY_CAP * max(characters, 0.95 * sounds)
    return (
        score,
        ["name_similar"],
        [f"name {characters:.0%} alike in characters, {sounds:.0%} in pinyin ({name})"],
    )


def _holds(subject: Row, column: str, value: str) -> bool | None:
    """True/False when the subject has this kind of identifier, None when it has none."""
    stored = subject[column]
    return None if stored is None else stored == value


def _score(
    query: MatchQuery, key: NameKey, wanted_ids: _Identifiers, subject: Row
) -> tuple[float, list[str], list[str]]:
    score, matched, why = _name_score(query, key, subject)
    contradicted = False
    for column, value, label in wanted_ids.pairs:
        holds = _holds(subject, column, value)
        if holds:
            score = EXACT
            matched = [label, *matched]
            why = [f"{label} matches exactly", *why]
        elif holds is False:
            contradicted = True
            why.append(f"{label} differs from the one given")
    if contradicted and label_not_matched(matched, wanted_ids):
        score = min(score, CONTRADICTED_CAP)
    return round(score, 3), matched, why


def label_not_matched(matched: list[str], wanted_ids: _Identifiers) -> bool:
    return not any(label in matched for _, _, label in wanted_ids.pairs)


class GramPostings:
    """How many names hold each character pair, kept per process for POSTINGS_TTL_SECONDS
    (counts move slowly; a stale one only decides whether a pair is searched)."""

    def __init__(self) -> None:
        self._counts: dict[str, tuple[int, float]] = {}

    async def of(self, statements: Statements, grams: list[str]) -> dict[str, int]:
        now = time.monotonic()
        fresh = {
            gram: held[0]
            for gram in grams
            if (held := self._counts.get(gram)) is not None and now - held[1] < POSTINGS_TTL_SECONDS
        }
        missing = [gram for gram in grams if gram not in fresh]
        if missing:
            counted = await repository.gram_postings(statements, missing)
            if len(self._counts) > POSTINGS_KEPT:
                self._counts.clear()
            for gram in missing:
                fresh[gram] = counted.get(gram, 0)
                self._counts[gram] = (fresh[gram], now)
        return fresh


async def _candidate_ids(
    statements: Statements,
    query: MatchQuery,
    key: NameKey,
    wanted_ids: _Identifiers,
    postings: GramPostings,
) -> list[int]:
    found: list[int] = []
    for column, value, _ in wanted_ids.pairs:
        found += await repository.subjects_by_identifier(statements, column, value)
    if found:  # an exact identifier wins whatever the name says
        return list(dict.fromkeys(found))
    same_name, same_sound = await repository.subjects_named(
        statements, key.core, key.pinyin, query.kind, RETRIEVE
    )
    found = same_name + same_sound
    if same_name or not key.grams:
        return list(dict.fromkeys(found))
    counts = await postings.of(statements, key.grams)
    # A pair no name holds cannot match; one most names hold says little.
    telling = [gram for gram in key.grams if 0 < counts[gram] <= COMMON_GRAM_POSTINGS]
    if telling:
        minimum = max(1, (len(telling) + 1) // 2)
        found += await repository.subjects_sharing_grams(
            statements, telling, minimum, query.kind, RETRIEVE
        )
    return list(dict.fromkeys(found))


def _is_person(subject: Row) -> bool:
    kind = registry().get(subject["kind"])
    return kind is not None and kind.party is Party.PERSON


async def match(
    statements: Statements,
    actor: Actor,
    pii: PersonalIdentifiers,
    queries: list[MatchQuery],
    *,
    max_candidates: int = 5,
    postings: GramPostings | None = None,
) -> list[list[Candidate]]:
    """For each query, its best candidates (score at least 0.5), best first."""
    if len(queries) > MAX_QUERIES:
        raise BadQuery(
            f"at most {MAX_QUERIES} queries per call, got {len(queries)}",
            field="queries",
            rule="max_items",
        )
    prepared = []
    for index, query in enumerate(queries):
        key = _check_query(index, query)
        prepared.append((query, key, _checked_identifiers(index, query, pii)))
    postings = postings or GramPostings()
    candidate_ids = [
        await _candidate_ids(statements, query, key, wanted_ids, postings)
        for query, key, wanted_ids in prepared
    ]
    # Every query's candidates in one read.
    subjects = await repository.subjects_by_ids(
        statements, {subject_id for found in candidate_ids for subject_id in found}
    )
    scored: list[list[tuple[Row, Candidate]]] = []
    for (query, key, wanted_ids), found in zip(prepared, candidate_ids, strict=True):
        results = []
        for subject_id in dict.fromkeys(sorted(found)):
            subject = subjects.get(subject_id)
            if subject is None:
                continue
            score, matched, why = _score(query, key, wanted_ids, subject)
            if score >= MIN_SCORE:
                results.append((subject, Candidate({}, score, matched, why)))
        results.sort(key=lambda pair: (-pair[1].score, pair[0]["id"]))
        scored.append(results)
    return await _disclosed(statements, actor, pii, scored, max_candidates)


async def _disclosed(
    statements: Statements,
    actor: Actor,
    pii: PersonalIdentifiers,
    scored: list[list[tuple[Row, Candidate]]],
    max_candidates: int,
) -> list[list[Candidate]]:
    """Candidates with their listings; unlisted persons left out for partners."""
    everyone = {int(subject["id"]) for results in scored for subject, _ in results}
    entries = await repository.in_force_entries(
        statements, everyone, wanted(actor), business_today()
    )
    listed: dict[int, list[Row]] = {}
    for entry in entries:
        listed.setdefault(int(entry["subject_id"]), []).append(entry)
    answers: list[list[Candidate]] = []
    for results in scored:
        kept: list[Candidate] = []
        for subject, candidate in results:
            subject_id = int(subject["id"])
            if not actor.is_regulator and _is_person(subject) and subject_id not in listed:
                continue
            card = {name: subject[name] for name in repository.SUBJECT_CARD}
            if actor.sees_personal_identifiers and subject["resident_id_sealed"]:
                plain = pii.unseal(subject["resident_id_sealed"])
                if plain is not None:
                    card["resident_id"] = plain
            candidate.subject = card
            candidate.lists = [
                {
                    "list": entry["list_name"],
                    "entry_id": entry["id"],
                    "since": _iso(entry["valid_from"]),
                    "until": _iso(entry["valid_until"]),
                }
                for entry in listed.get(subject_id, [])
            ]
            kept.append(candidate)
            if len(kept) == max_candidates:
                break
        answers.append(kept)
    return answers


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None
