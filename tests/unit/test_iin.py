"""ИИН validation: structure, century/sex digit, birth date and both check-digit weight sets."""

from __future__ import annotations

from datetime import date

import pytest

from server.domain.iin import (
    InvalidIIN,
    compute_check_digit,
    iin_birth_date,
    iin_sex,
    is_valid_iin,
    make_iin,
    validate_iin,
)

# 900101 3 1234 ?: 9*1+0*2+0*3+1*4+0*5+1*6+3*7+1*8+2*9+3*10+4*11 = 140; 140 mod 11 = 8.
VALID_1990_MALE = "900101312348"
# 950315 4 0070 ?: first weights give 164 mod 11 = 10, so the second set is used:
# 9*3+5*4+0*5+3*6+1*7+5*8+4*9+0*10+0*11+7*1+0*2 = 155; 155 mod 11 = 1.
VALID_SECOND_WEIGHTS = "950315400701"
# 050101 5 0019: both weight sets give 10 -> no valid check digit exists.
UNUSABLE_PREFIX = "05010150019"


def reason(value: object) -> InvalidIIN:
    with pytest.raises(InvalidIIN) as info:
        validate_iin(value)  # type: ignore[arg-type]
    return info.value


def test_valid_iin_by_hand() -> None:
    assert validate_iin(VALID_1990_MALE) == VALID_1990_MALE
    assert iin_birth_date(VALID_1990_MALE) == date(1990, 1, 1)
    assert iin_sex(VALID_1990_MALE) == "M"


def test_second_weight_set_is_used_when_first_gives_ten() -> None:
    digits = [int(c) for c in VALID_SECOND_WEIGHTS[:11]]
    assert sum(d * w for d, w in zip(digits, range(1, 12), strict=True)) % 11 == 10
    assert compute_check_digit(VALID_SECOND_WEIGHTS[:11]) == 1
    assert validate_iin(VALID_SECOND_WEIGHTS) == VALID_SECOND_WEIGHTS
    assert iin_birth_date(VALID_SECOND_WEIGHTS) == date(1995, 3, 15)
    assert iin_sex(VALID_SECOND_WEIGHTS) == "F"
    # The first-set remainder (10) is never a valid digit; a wrong last digit is rejected.
    assert reason("950315400700").code == "check_digit"


def test_both_weight_sets_ten_is_invalid() -> None:
    assert compute_check_digit(UNUSABLE_PREFIX) is None
    for last in "0123456789":
        error = reason(UNUSABLE_PREFIX + last)
        assert error.code == "unusable"
        assert "контрольная цифра не может быть вычислена" in error.reason_ru


def test_normalizes_separators() -> None:
    assert validate_iin(" 900101 312348 ") == VALID_1990_MALE
    assert validate_iin("900101-312348") == VALID_1990_MALE
    assert validate_iin("900101\u00a0312348") == VALID_1990_MALE


@pytest.mark.parametrize(
    "value",
    [
        "",
        "90010131234",
        "9001013123480",
        "90010131234a",
        "９００１０１３１２３４８",
        None,
        900101312348,
    ],
)
def test_format_errors(value: object) -> None:
    error = reason(value)
    assert error.code == "format"
    assert error.reason_ru == "ИИН должен состоять из 12 цифр"
    assert error.reason_kk == "ЖСН 12 цифрдан тұруы керек"
    assert str(error) == error.reason_ru
    assert isinstance(error, ValueError)
    assert not is_valid_iin(value)


@pytest.mark.parametrize("digit", "0789")
def test_century_digit_errors(digit: str) -> None:
    error = reason(f"900101{digit}12348")
    assert error.code == "century"
    assert "седьмая цифра" in error.reason_ru
    assert "жетінші цифры" in error.reason_kk


@pytest.mark.parametrize(
    "prefix",
    ["901301", "900001", "900132", "900230", "010229"],  # month 13/0, day 32, 30 Feb, 29 Feb 2001
)
def test_birth_date_errors(prefix: str) -> None:
    # A correct check digit, so only the date can be at fault.
    first11 = f"{prefix}51234"
    value = first11 + str(compute_check_digit(first11))
    error = reason(value)
    assert error.code == "birth_date"
    assert "дату рождения" in error.reason_ru
    assert "туған күнді" in error.reason_kk


def test_leap_day_follows_the_century_digit() -> None:
    # 29 February 2000 exists (century digit 5); 29 February 1900 does not (digit 3).
    assert iin_birth_date(make_iin(date(2000, 2, 29), "F", 1)) == date(2000, 2, 29)
    first11 = "0002293" + "0001"
    assert reason(first11 + str(compute_check_digit(first11))).code == "birth_date"


def test_wrong_check_digit() -> None:
    for last in "0123456789":
        if last == VALID_1990_MALE[-1]:
            continue
        error = reason(VALID_1990_MALE[:11] + last)
        assert error.code == "check_digit"
        assert error.reason_ru == "Неверная контрольная цифра ИИН"
        assert error.reason_kk == "ЖСН-нің бақылау цифры қате"


@pytest.mark.parametrize(
    ("birth", "sex", "digit"),
    [
        (date(1850, 12, 31), "M", "1"),
        (date(1899, 6, 1), "F", "2"),
        (date(1901, 1, 1), "M", "3"),
        (date(1999, 12, 31), "F", "4"),
        (date(2000, 1, 1), "M", "5"),
        (date(2007, 8, 30), "F", "6"),
    ],
)
def test_make_iin_round_trips(birth: date, sex: str, digit: str) -> None:
    for serial in (0, 1, 42, 1234, 9999):
        try:
            iin = make_iin(birth, sex, serial)
        except ValueError:
            assert serial == 9999  # the last serial may have no valid check digit
            continue
        assert validate_iin(iin) == iin
        assert iin[:6] == birth.strftime("%y%m%d")
        assert iin[6] == digit
        assert int(iin[7:11]) >= serial
        assert iin_birth_date(iin) == birth
        assert iin_sex(iin) == sex


def test_make_iin_skips_unusable_serials() -> None:
    # Serial 0019 has no check digit for 2005-01-01 male; 0020 does (first weights: 9).
    assert make_iin(date(2005, 1, 1), "M", 19) == "050101500209"
    assert make_iin(date(2005, 1, 1), "M", 18) == "050101500188"


def test_make_iin_many_serials_all_valid() -> None:
    iins = {make_iin(date(2004, 5, 17), "F", s) for s in range(0, 2000, 7)}
    assert all(is_valid_iin(i) for i in iins)
    assert len(iins) > 250


@pytest.mark.parametrize(
    ("birth", "sex", "serial"),
    [
        (date(1799, 1, 1), "M", 1),
        (date(2100, 1, 1), "M", 1),
        (date(2000, 1, 1), "X", 1),
        (date(2000, 1, 1), "M", -1),
        (date(2000, 1, 1), "M", 10000),
    ],
)
def test_make_iin_rejects_bad_input(birth: date, sex: str, serial: int) -> None:
    with pytest.raises(ValueError):
        make_iin(birth, sex, serial)


def test_helpers_validate_first() -> None:
    with pytest.raises(InvalidIIN):
        iin_birth_date("123")
    with pytest.raises(InvalidIIN):
        iin_sex(VALID_1990_MALE[:11] + "0")
    assert is_valid_iin(VALID_1990_MALE)
