"""Kazakh case endings (server/documents/kazakh.py), word by word against the grammar's tables."""

from __future__ import annotations

import pytest

from server.documents.kazakh import decline_full_name_kk, decline_phrase_kk, decline_word_kk

# word -> genitive, dative, accusative, locative, ablative, instrumental
TABLE = {
    "бала": ("баланың", "балаға", "баланы", "балада", "баладан", "баламен"),
    "Әке": ("Әкенің", "Әкеге", "Әкені", "Әкеде", "Әкеден", "Әкемен"),
    "Нұрлан": ("Нұрланның", "Нұрланға", "Нұрланды", "Нұрланда", "Нұрланнан", "Нұрланмен"),
    "Айгерім": ("Айгерімнің", "Айгерімге", "Айгерімді", "Айгерімде", "Айгерімнен", "Айгеріммен"),
    "Абай": ("Абайдың", "Абайға", "Абайды", "Абайда", "Абайдан", "Абаймен"),
    "жер": ("жердің", "жерге", "жерді", "жерде", "жерден", "жермен"),
    "көл": ("көлдің", "көлге", "көлді", "көлде", "көлден", "көлмен"),
    "қыз": ("қыздың", "қызға", "қызды", "қызда", "қыздан", "қызбен"),
    "кітап": ("кітаптың", "кітапқа", "кітапты", "кітапта", "кітаптан", "кітаппен"),
    "Серік": ("Серіктің", "Серікке", "Серікті", "Серікте", "Серіктен", "Серікпен"),
    "Иванов": ("Ивановтың", "Ивановқа", "Ивановты", "Ивановта", "Ивановтан", "Ивановпен"),
    "Сергеевич": ("Сергеевичтің", "Сергеевичке", "Сергеевичті", "Сергеевичте", "Сергеевичтен",
                  "Сергеевичпен"),
    "Павловна": ("Павловнаның", "Павловнаға", "Павловнаны", "Павловнада", "Павловнадан",
                 "Павловнамен"),
    "Мария": ("Марияның", "Марияға", "Марияны", "Марияда", "Мариядан", "Мариямен"),
    "Игорь": ("Игорьдің", "Игорьге", "Игорьді", "Игорьде", "Игорьден", "Игорьмен"),
    "Қазақстан": ("Қазақстанның", "Қазақстанға", "Қазақстанды", "Қазақстанда", "Қазақстаннан",
                  "Қазақстанмен"),
    # third-person possessives take the pronominal н
    "Серікқызы": ("Серікқызының", "Серікқызына", "Серікқызын", "Серікқызында", "Серікқызынан",
                  "Серікқызымен"),
    "Серікұлы": ("Серікұлының", "Серікұлына", "Серікұлын", "Серікұлында", "Серікұлынан",
                 "Серікұлымен"),
    "факультеті": ("факультетінің", "факультетіне", "факультетін", "факультетінде",
                   "факультетінен", "факультетімен"),
}
CASES = ("genitive", "dative", "accusative", "locative", "ablative", "instrumental")


@pytest.mark.parametrize("word", sorted(TABLE))
def test_every_case_of_the_table(word: str) -> None:
    assert tuple(decline_word_kk(word, case) for case in CASES) == TABLE[word]


def test_the_ending_goes_on_the_last_word_of_a_full_name() -> None:
    assert decline_full_name_kk("Жаксылыкова", "Айгерим", "Серикқызы", "dative") == (
        "Жаксылыкова Айгерим Серикқызына")
    assert decline_full_name_kk("Сидорова", "Елена", "Павловна", "genitive") == (
        "Сидорова Елена Павловнаның")
    # no patronymic: the first name takes the ending
    assert decline_full_name_kk("Ким", "Анна", None, "dative") == "Ким Аннаға"
    assert decline_full_name_kk("Ким", "Анна", "  ", "accusative") == "Ким Аннаны"


def test_a_phrase_keeps_quotes_and_spacing() -> None:
    assert decline_phrase_kk("Экономика факультеті", "dative") == "Экономика факультетіне"
    assert decline_phrase_kk("«Тіркеуші» университеті", "genitive") == "«Тіркеуші» университетінің"
    assert decline_phrase_kk("Алматы қаласының әскери істер жөніндегі бөлімі", "dative") == (
        "Алматы қаласының әскери істер жөніндегі бөліміне")
    assert decline_phrase_kk("«Абай»", "dative") == "«Абайға»"


def test_capitals_stay_capitals() -> None:
    assert decline_word_kk("НҰРЛАН", "dative") == "НҰРЛАНҒА"


def test_possessive_can_be_forced_or_denied() -> None:
    assert decline_word_kk("бөлім", "dative", possessive=False) == "бөлімге"
    assert decline_word_kk("анасы", "dative", possessive=True) == "анасына"


@pytest.mark.parametrize("bad", ["", "   ", "123", "—"])
def test_nothing_to_decline_is_an_error(bad: str) -> None:
    with pytest.raises(ValueError):
        decline_phrase_kk(bad, "dative")


def test_an_unknown_case_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown case"):
        decline_word_kk("бала", "vocative")
