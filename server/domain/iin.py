"""Kazakhstan individual identification number (ИИН / ЖСН).

Structure of the 12 digits::

    YYMMDD  C  SSSS  K
    birth   |  |     check digit
    date    |  serial (4 digits)
            century and sex: 1/2 = 1800s male/female, 3/4 = 1900s, 5/6 = 2000s

Check digit: the sum of the first 11 digits weighted 1..11, modulo 11. If that gives 10, the
weights 3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2 are used instead; if the second sum also gives 10 the
number is invalid (such serials are never issued).

The validation is purely structural: it does not check that the birth date is in the past, nor
that the number was actually issued to a person.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

__all__ = [
    "InvalidIIN",
    "compute_check_digit",
    "iin_birth_date",
    "iin_sex",
    "is_valid_iin",
    "make_iin",
    "validate_iin",
]

Sex = Literal["M", "F"]

_WEIGHTS_1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
_DIGITS = frozenset("0123456789")
# 7th digit -> (century start, sex)
_CENTURY_SEX: dict[int, tuple[int, Sex]] = {
    1: (1800, "M"),
    2: (1800, "F"),
    3: (1900, "M"),
    4: (1900, "F"),
    5: (2000, "M"),
    6: (2000, "F"),
}
# Characters people type inside an ИИН when copying it from documents.
_SEPARATORS = str.maketrans("", "", " \t\u00a0-")


class InvalidIIN(ValueError):
    """An ИИН that fails validation.

    ``code`` is a stable machine-readable reason (``format``, ``century``, ``birth_date``,
    ``check_digit``, ``unusable``); ``reason_ru`` and ``reason_kk`` are shown to users.
    """

    def __init__(self, code: str, reason_ru: str, reason_kk: str) -> None:
        super().__init__(reason_ru)
        self.code = code
        self.reason_ru = reason_ru
        self.reason_kk = reason_kk


def _format_error() -> InvalidIIN:
    return InvalidIIN(
        "format",
        "ИИН должен состоять из 12 цифр",
        "ЖСН 12 цифрдан тұруы керек",
    )


def compute_check_digit(first11: str) -> int | None:
    """The check digit for the first 11 digits, or None when no valid digit exists."""
    if len(first11) != 11 or not set(first11) <= _DIGITS:
        raise ValueError("first11 must be exactly 11 ASCII digits")
    digits = [int(c) for c in first11]
    for weights in (_WEIGHTS_1, _WEIGHTS_2):
        remainder = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        if remainder != 10:
            return remainder
    return None


def _birth_date(digits: str) -> date:
    """Birth date from a 12-digit string whose 7th digit is already known to be 1..6."""
    century, _ = _CENTURY_SEX[int(digits[6])]
    year = century + int(digits[0:2])
    return date(year, int(digits[2:4]), int(digits[4:6]))


def validate_iin(value: str) -> str:
    """Return the normalized 12-digit ИИН or raise `InvalidIIN`.

    Spaces, non-breaking spaces and hyphens are removed before checking, so «900101 350 123»
    is accepted and returned as «900101350123».
    """
    if not isinstance(value, str):
        raise _format_error()
    digits = value.translate(_SEPARATORS)
    if len(digits) != 12 or not set(digits) <= _DIGITS:
        raise _format_error()
    if int(digits[6]) not in _CENTURY_SEX:
        raise InvalidIIN(
            "century",
            "Неверная седьмая цифра ИИН (век рождения и пол): допустимы значения от 1 до 6",
            "ЖСН-нің жетінші цифры (туған ғасыры мен жынысы) қате: 1-ден 6-ға дейін болуы тиіс",
        )
    try:
        _birth_date(digits)
    except ValueError:
        raise InvalidIIN(
            "birth_date",
            "Первые шесть цифр ИИН не образуют существующую дату рождения (ГГММДД)",
            "ЖСН-нің алғашқы алты цифры нақты туған күнді (ЖЖААКК) құрамайды",
        ) from None
    expected = compute_check_digit(digits[:11])
    if expected is None:
        raise InvalidIIN(
            "unusable",
            "ИИН недействителен: для этого номера контрольная цифра не может быть вычислена",
            "ЖСН жарамсыз: бұл нөмір үшін бақылау цифрын есептеу мүмкін емес",
        )
    if expected != int(digits[11]):
        raise InvalidIIN(
            "check_digit",
            "Неверная контрольная цифра ИИН",
            "ЖСН-нің бақылау цифры қате",
        )
    return digits


def is_valid_iin(value: object) -> bool:
    """True when `value` is a valid ИИН (separators allowed, as in `validate_iin`)."""
    try:
        validate_iin(value)  # type: ignore[arg-type]
    except InvalidIIN:
        return False
    return True


def iin_birth_date(iin: str) -> date:
    """Birth date encoded in a valid ИИН (raises `InvalidIIN` otherwise)."""
    return _birth_date(validate_iin(iin))


def iin_sex(iin: str) -> Sex:
    """``"M"`` or ``"F"`` as encoded in the 7th digit of a valid ИИН."""
    return _CENTURY_SEX[int(validate_iin(iin)[6])][1]


def make_iin(birth: date, sex: str, serial: int) -> str:
    """Build a valid ИИН for demo data and tests.

    When `serial` yields a number that has no valid check digit, the next serials are tried, so
    the serial in the result may be greater than the one asked for. Raises ValueError for a birth
    year outside 1800-2099, a sex other than "M"/"F", or a serial outside 0..9999 (or when no
    usable serial is left up to 9999).
    """
    if sex not in ("M", "F"):
        raise ValueError(f"sex must be 'M' or 'F', got {sex!r}")
    if not 0 <= serial <= 9999:
        raise ValueError(f"serial must be within 0..9999, got {serial}")
    century = birth.year // 100 * 100
    matches = [k for k, (c, s) in _CENTURY_SEX.items() if c == century and s == sex]
    if not matches:
        raise ValueError(f"birth year {birth.year} cannot be encoded in an ИИН (1800-2099)")
    prefix = f"{birth:%y%m%d}{matches[0]}"
    for candidate in range(serial, 10000):
        first11 = f"{prefix}{candidate:04d}"
        check = compute_check_digit(first11)
        if check is not None:
            return f"{first11}{check}"
    raise ValueError(f"no usable serial from {serial} to 9999 for {birth} {sex}")
