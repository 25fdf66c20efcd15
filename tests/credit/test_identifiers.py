"""Official identifiers: what is accepted, how it is normalised, what a refusal says."""

from __future__ import annotations

from datetime import date

import pytest

from credit.kernel.errors import InvalidInput
from credit.subjects.identifiers import (
    CheckDigitMismatch,
    validate_insurance_no,
    validate_nhsa_code,
    validate_region_code,
    validate_resident_id,
    validate_uscc,
)
from credit.subjects.kinds import get_kind, registry
from credit.subjects.pii import PersonalIdentifiers, mask


def refusal(call: object, *args: object, **kwargs: object) -> InvalidInput:
    assert callable(call)
    with pytest.raises(InvalidInput) as caught:
        call(*args, **kwargs)
    return caught.value


@pytest.mark.parametrize("code", ["91110000600037341L", "12100000400000624D", "91350100M000100Y43"])
def test_design_examples_of_uscc_are_valid(code: str) -> None:
    assert validate_uscc(code) == code


def test_uscc_is_normalised_to_upper_case_without_spaces() -> None:
    assert validate_uscc(" 9111 0000-600037341l ") == "91110000600037341L"


def test_uscc_with_a_wrong_check_character_is_refused_and_may_be_overridden() -> None:
    error = refusal(validate_uscc, "91350203M0001QAY9B")
    assert isinstance(error, CheckDigitMismatch)
    assert (error.field, error.rule) == ("uscc", "check_digit")
    assert error.value == "91350203M0001QAY9B"
    assert "check digit" in error.message


@pytest.mark.parametrize(
    ("code", "rule", "words"),
    [
        ("9111000060003734", "length", "18 characters"),
        ("91110000600037341L0", "length", "got 19"),
        ("9111000O600037341L", "characters", "position 8"),
        ("91110000600O37341L", "characters", "never I, O, S, V, Z"),
        ("", "required", "empty"),
    ],
)
def test_malformed_uscc_says_what_is_wrong(code: str, rule: str, words: str) -> None:
    error = refusal(validate_uscc, code)
    assert not isinstance(error, CheckDigitMismatch)
    assert (error.field, error.rule) == ("uscc", rule)
    assert words in error.message


def test_the_design_resident_id_is_valid_in_either_case() -> None:
    assert validate_resident_id("11010519491231002X") == "11010519491231002X"
    assert validate_resident_id("11010519491231002x") == "11010519491231002X"


def test_resident_id_with_a_wrong_check_digit_is_an_overridable_refusal() -> None:
    error = refusal(validate_resident_id, "110105194912310021")
    assert isinstance(error, CheckDigitMismatch)
    assert (error.field, error.rule) == ("resident_id", "check_digit")


@pytest.mark.parametrize(
    ("number", "rule", "words"),
    [
        ("1101051949123100", "length", "got 16"),
        ("110105491231002", "length", "15-digit"),
        ("1101051949123100AX", "characters", "position 17"),
        # Check digit correct, but 30 February does not exist.
        ("110105194902300020", "birth_date", "1949-02-30"),
        ("11010519491331002X", "birth_date", "not a real date"),
        ("110105299901010014", "birth_date", "impossible"),
        ("990105194912310023", "region", "990105"),
    ],
)
def test_malformed_resident_id_says_what_is_wrong(number: str, rule: str, words: str) -> None:
    error = refusal(validate_resident_id, number)
    assert not isinstance(error, CheckDigitMismatch)
    assert (error.field, error.rule) == ("resident_id", rule)
    assert words in error.message


def test_impossible_birth_date_is_refused_even_when_the_check_digit_is_also_wrong() -> None:
    error = refusal(validate_resident_id, "11010519490230002X")
    assert error.rule == "birth_date"


def test_a_birth_date_in_the_future_is_refused() -> None:
    error = refusal(validate_resident_id, "11010519491231002X", today=date(1949, 12, 30))
    assert error.rule == "birth_date"


def test_errors_name_the_field_they_were_asked_about() -> None:
    assert refusal(validate_uscc, "123", field="rows[3].uscc").field == "rows[3].uscc"


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("medical_institution", "H11010500001"),
        ("medical_institution", "h11010500001"),
        ("retail_pharmacy", "P35020300017"),
        ("physician", "D110105000123"),
        ("pharmacist", "HY350203000045"),
        ("pharmacist", "HJ350203000046"),
    ],
)
def test_nhsa_codes_in_each_kinds_layout_are_accepted(kind: str, code: str) -> None:
    assert validate_nhsa_code(code, get_kind(kind)) == code.upper()


@pytest.mark.parametrize(
    ("kind", "code", "rule", "words"),
    [
        ("medical_institution", "P11010500001", "prefix", "starts with H"),
        ("medical_institution", "H1101050000", "layout", "exactly 11 digits"),
        ("medical_institution", "H1101050000A", "layout", "H + 11 digits"),
        ("retail_pharmacy", "H11010500001", "prefix", "starts with P"),
        ("physician", "D11010500012", "layout", "6-digit region code + 6 digits"),
        ("physician", "D990105000123", "region", "99 is not a province"),
        ("pharmacist", "HX350203000045", "prefix", "HY or HJ"),
        ("pharmacist", "H" + "1" * 40, "length", "at most 30"),
        ("insured_person", "D110105000123", "not_for_kind", "insured_person"),
    ],
)
def test_nhsa_codes_out_of_layout_are_refused(kind: str, code: str, rule: str, words: str) -> None:
    error = refusal(validate_nhsa_code, code, get_kind(kind))
    assert (error.field, error.rule) == ("nhsa_code", rule)
    assert words in error.message


@pytest.mark.parametrize("code", ["110000", "110100", "110105", "350203", "441900", "429004"])
def test_province_city_and_county_codes_are_regions(code: str) -> None:
    assert validate_region_code(code) == code


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("000000", "region"),
        ("990000", "region"),
        ("110199", "region"),
        ("11010", "region_format"),
        ("11010a", "region_format"),
    ],
)
def test_nonsense_region_codes_are_refused(code: str, rule: str) -> None:
    error = refusal(validate_region_code, code)
    assert (error.field, error.rule) == ("region_code", rule)


def test_insurance_numbers_are_letters_and_digits_of_plausible_length() -> None:
    assert validate_insurance_no(" 3502a0000123 ") == "3502A0000123"
    assert refusal(validate_insurance_no, "123").rule == "length"
    assert refusal(validate_insurance_no, "3502-0000_123").rule == "characters"


def test_every_configured_kind_has_names_and_a_party() -> None:
    kinds = registry()
    assert set(kinds) >= {
        "medical_institution",
        "retail_pharmacy",
        "physician",
        "pharmacist",
        "insured_person",
        "insured_unit",
    }
    assert kinds["medical_institution"].zh == "定点医疗机构"
    assert kinds["physician"].party == "person"
    assert not kinds["physician"].applies("uscc")
    assert kinds["medical_institution"].applies("level")
    assert not kinds["retail_pharmacy"].applies("level")


def test_unknown_kind_is_refused_listing_the_known_ones() -> None:
    error = refusal(get_kind, "hospital")
    assert error.field == "kind"
    assert "medical_institution" in error.message


def test_masking_keeps_the_first_six_and_last_four() -> None:
    assert mask("11010519491231002X") == "110105********002X"
    assert mask("3502A0000123") == "3502A0**0123"
    assert mask("12345") == "*2345"


def test_personal_identifiers_hash_stably_and_unseal_only_with_the_same_secret() -> None:
    pii = PersonalIdentifiers("a-secret-that-is-long-enough")
    protected = pii.protect("resident_id", "11010519491231002X")
    assert protected.lookup_hash == pii.lookup_hash("resident_id", "11010519491231002X")
    assert protected.lookup_hash != pii.lookup_hash("insurance_no", "11010519491231002X")
    assert b"11010519491231002X" not in protected.sealed
    assert pii.unseal(protected.sealed) == "11010519491231002X"
    other = PersonalIdentifiers("another-secret-long-enough")
    assert other.unseal(protected.sealed) is None
    assert other.lookup_hash("resident_id", "11010519491231002X") != protected.lookup_hash
    with pytest.raises(ValueError, match="at least"):
        PersonalIdentifiers("short")
