"""What the order contexts print for people: the approvals' positions and names, a name in
Latin letters in Cyrillic, the sex taken from the ИИН for the declension."""

from __future__ import annotations

from datetime import date

import pytest

from server.documents.contexts.common import approvals, dean_title, initials, person_row
from server.documents.cyrillic import cyrillic_name
from server.domain.iin import make_iin


@pytest.mark.parametrize(("latin", "cyrillic"), [
    ("Kim", "Ким"), ("Min-jun", "Мин-джун"), ("Lee", "Ли"), ("Choi", "Чой"), ("Yang", "Ян"),
    ("Park Ji-yeon", "Парк Джи-ён"), ("Yerlan", "Ерлан"), ("Zhanna", "Жанна"), ("John Smith", "Джон Смит"),
    ("Christopher", "Кристофер"), ("Жаксылыкова", "Жаксылыкова"),
])
def test_latin_names_are_transcribed(latin, cyrillic):
    assert cyrillic_name(latin) == cyrillic


@pytest.mark.parametrize(("ru", "kk", "title_ru", "title_kk"), [
    ("Факультет информационных технологий", "Ақпараттық технологиялар факультеті",
     "Декан факультета информационных технологий", "Ақпараттық технологиялар факультетінің деканы"),
    ("Педагогический факультет", "Педагогикалық факультет",
     "Декан педагогического факультета", "Педагогикалық факультеттің деканы"),
    ("Экономика", "Экономика", "Декан факультета «Экономика»", "Экономика факультетінің деканы"),
])
def test_the_deans_position_names_the_faculty(ru, kk, title_ru, title_kk):
    assert dean_title(ru, kk) == (title_ru, title_kk)


def test_approvals_print_positions_and_initials():
    lines = approvals([
        {"role": "dean", "full_name": "Сейткали Нурлан Болатович",
         "faculty_ru": "Факультет экономики и бизнеса", "faculty_kk": "Экономика және бизнес факультеті"},
        {"role": "accountant", "full_name": "Иванова Марина Петровна"},
        {"role": "registrar_head", "full_name": "Жуматова Гульнара"},
    ])
    assert lines == [
        {"title_ru": "Декан факультета экономики и бизнеса",
         "title_kk": "Экономика және бизнес факультетінің деканы", "name": "Н. Б. Сейткали"},
        {"title_ru": "Бухгалтер", "title_kk": "Бухгалтер", "name": "М. П. Иванова"},
        {"title_ru": "Руководитель офиса регистратора", "title_kk": "Тіркеуші кеңсесінің басшысы",
         "name": "Г. Жуматова"},
    ]
    assert initials("Администратор") == "Администратор"


def test_a_row_without_sex_declines_by_the_iin():
    person = {"iin": make_iin(date(2005, 2, 3), "F", 7), "last_name": "Сейтова", "first_name": "Дана"}
    row = person_row(person, {})
    assert row["full_name_dat"] == "Сейтовой Дане" and row["full_name_acc"] == "Сейтову Дану"
    kim = {"iin": make_iin(date(2005, 2, 3), "M", 8), "last_name": "Kim", "first_name": "Viktor"}
    latin = person_row(kim, {})
    assert latin["full_name"] == "Ким Виктор" and latin["full_name_acc"] == "Кима Виктора"
