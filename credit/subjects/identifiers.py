"""Official identifiers: checked with python-stdnum, normalised to upper case, precise messages.

Each `validate_*` returns the normalised value or raises `InvalidInput` naming the field and the
rule broken. A code that is well-formed but fails only its check digit raises the subclass
`CheckDigitMismatch`, which an admin may override (such codes exist in the wild).
"""

from __future__ import annotations

import datetime as dt

from stdnum import numdb
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError
from stdnum.util import clean

from credit.kernel.clock import business_today
from credit.kernel.errors import InvalidInput
from credit.subjects.kinds import SubjectKind

DIGITS = frozenset("0123456789")
USCC_ALPHABET = frozenset("0123456789ABCDEFGHJKLMNPQRTUWXY")
INSURANCE_NO_ALPHABET = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
INSURANCE_NO_LENGTH = (6, 30)
NHSA_CODE_MAX_LENGTH = 30


class CheckDigitMismatch(InvalidInput):
    """A well-formed code whose check digit is wrong; `value` is the normalised code."""

    def __init__(self, field: str, value: str, expected: str) -> None:
        super().__init__(
            f"{field} fails its check digit: the last character is {value[-1]}, "
            f"the rest of the code requires {expected}",
            field=field,
            rule="check_digit",
        )
        self.value = value


def compact(value: str, field: str) -> str:
    """Upper case without spaces or hyphens; full-width digits become ASCII (stdnum's clean)."""
    try:
        text = clean(value, " -").strip().upper()
    except ValidationError:
        text = ""
    if not text:
        raise InvalidInput(f"{field} is empty", field=field, rule="required")
    return text


def _first_outside(value: str, alphabet: frozenset[str]) -> int | None:
    return next((index for index, char in enumerate(value) if char not in alphabet), None)


def validate_uscc(value: str, *, field: str = "uscc") -> str:
    """A unified social credit code (GB 32100): 18 characters with a MOD 31 check character."""
    code = compact(value, field)
    if len(code) != 18:
        raise InvalidInput(
            f"{field} must be 18 characters (GB 32100), got {len(code)}",
            field=field,
            rule="length",
        )
    bad = _first_outside(code[:8], DIGITS)
    if bad is not None:
        raise InvalidInput(
            f"{field}: characters 1-8 (authority, entity type, region) must be digits; "
            f"position {bad + 1} is not",
            field=field,
            rule="characters",
        )
    bad = _first_outside(code, USCC_ALPHABET)
    if bad is not None:
        raise InvalidInput(
            f"{field}: position {bad + 1} holds {code[bad]!r}; only 0-9 and the letters "
            "A-H, J-N, P, Q, R, T, U, W, X, Y are used (never I, O, S, V, Z)",
            field=field,
            rule="characters",
        )
    expected = uscc.calc_check_digit(code[:17])
    if code[-1] != expected:
        raise CheckDigitMismatch(field, code, expected)
    return code


def validate_resident_id(
    value: str, *, field: str = "resident_id", today: dt.date | None = None
) -> str:
    """A resident identity number (GB 11643): region, real birth date, ISO 7064 MOD 11-2 check."""
    number = compact(value, field)
    if len(number) == 15:
        raise InvalidInput(
            f"{field}: 15-digit first-generation numbers are not accepted; "
            "give the 18-character number",
            field=field,
            rule="length",
        )
    if len(number) != 18:
        raise InvalidInput(
            f"{field} must be 18 characters (GB 11643), got {len(number)}",
            field=field,
            rule="length",
        )
    bad = _first_outside(number[:17], DIGITS)
    if bad is not None or number[17] not in DIGITS | {"X"}:
        position = 18 if bad is None else bad + 1
        raise InvalidInput(
            f"{field}: 17 digits then a digit or X are expected; position {position} is not",
            field=field,
            rule="characters",
        )
    _check_birth_date(number, field, today or business_today())
    _check_birth_region(number, field)
    expected = ric.calc_check_digit(number)
    if number[-1] != expected:
        raise CheckDigitMismatch(field, number, expected)
    return number


def _check_birth_date(number: str, field: str, today: dt.date) -> None:
    text = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
    try:
        born = ric.get_birth_date(number)
    except ValidationError:
        raise InvalidInput(
            f"{field}: digits 7-14 give the birth date {text}, which is not a real date",
            field=field,
            rule="birth_date",
        ) from None
    if born > today or born.year < 1850:
        raise InvalidInput(
            f"{field}: the birth date {text} is impossible", field=field, rule="birth_date"
        )


def _check_birth_region(number: str, field: str) -> None:
    try:
        ric.get_birth_place(number)
    except ValidationError:
        raise InvalidInput(
            f"{field}: digits 1-6 ({number[:6]}) were not a GB/T 2260 division code "
            f"in the birth year {number[6:10]}",
            field=field,
            rule="region",
        ) from None


def validate_insurance_no(value: str, *, field: str = "insurance_no") -> str:
    """An insurance person number: letters and digits; the layout differs between regions."""
    number = compact(value, field)
    low, high = INSURANCE_NO_LENGTH
    if not low <= len(number) <= high:
        raise InvalidInput(
            f"{field} must be {low} to {high} characters, got {len(number)}",
            field=field,
            rule="length",
        )
    bad = _first_outside(number, INSURANCE_NO_ALPHABET)
    if bad is not None:
        raise InvalidInput(
            f"{field}: only letters and digits are used; position {bad + 1} is neither",
            field=field,
            rule="characters",
        )
    return number


def validate_nhsa_code(value: str, kind: SubjectKind, *, field: str = "nhsa_code") -> str:
    """An NHSA code laid out as the kind's configuration says (prefix, region, serial digits)."""
    layout = kind.nhsa_layout
    if layout is None:
        raise InvalidInput(
            f"{field} does not apply to kind {kind.code}", field=field, rule="not_for_kind"
        )
    code = compact(value, field)
    if len(code) > NHSA_CODE_MAX_LENGTH:
        raise InvalidInput(
            f"{field} is at most {NHSA_CODE_MAX_LENGTH} characters, got {len(code)}",
            field=field,
            rule="length",
        )
    prefix = next(
        (p for p in sorted(layout.prefixes, key=len, reverse=True) if code.startswith(p)), None
    )
    if prefix is None:
        raise InvalidInput(
            f"{field} of a {kind.code} starts with {' or '.join(layout.prefixes)} "
            f"({layout.describe()})",
            field=field,
            rule="prefix",
        )
    rest = code[len(prefix) :]
    if len(rest) != layout.digits or _first_outside(rest, DIGITS) is not None:
        raise InvalidInput(
            f"{field}: after {prefix} come exactly {layout.digits} digits ({layout.describe()})",
            field=field,
            rule="layout",
        )
    if layout.region:
        validate_region_code(rest[:6], field=field, label=f"{field} region part")
    return code


def validate_region_code(
    value: str, *, field: str = "region_code", label: str | None = None
) -> str:
    """A GB/T 2260 six-digit code of a province, city or county (current or historical)."""
    label = label or field
    code = compact(value, field)
    if len(code) != 6 or _first_outside(code, DIGITS) is not None:
        raise InvalidInput(
            f"{label} must be six digits (GB/T 2260)", field=field, rule="region_format"
        )
    found = dict(numdb.get("cn/loc").info(code)[0:2]) if code[:2] != "00" else {}
    levels = {key for props in found.values() for key in props}
    if "province" not in levels:
        raise InvalidInput(
            f"{label} {code}: {code[:2]} is not a province-level code",
            field=field,
            rule="region",
        )
    if "county" not in levels:
        raise InvalidInput(
            f"{label} {code} is not a GB/T 2260 province, city or county code",
            field=field,
            rule="region",
        )
    return code
