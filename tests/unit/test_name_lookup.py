"""server/domain/vocabulary.py: a value's name in a document's language, from the registry or
the form's Kazakh field, and never the Russian name in a Kazakh document."""

from __future__ import annotations

import pytest

from server.domain.vocabulary import (
    MissingName,
    Names,
    faculty_name,
    ground_name,
    programme_name,
    programme_names,
    typed_name,
    using,
)

REGISTRY = Names(programmes={"6B06101": {"ru": "Информационные системы", "kk": "Ақпараттық жүйелер",
                                         "en": "Information Systems"},
                             "6B04199": {"ru": "Маркетинг", "kk": None, "en": None}},
                 faculties={"IT": {"ru": "Факультет информационных технологий",
                                   "kk": "Ақпараттық технологиялар факультеті", "en": None}})


def test_the_registry_names_a_programme_by_its_code_in_each_language():
    with using(REGISTRY):
        assert programme_name("6B06101", "kk", ru="Инф. системы") == "Ақпараттық жүйелер"
        assert programme_name("6B06101", "en") == "Information Systems"
        assert programme_names("6B06101", ru="Инф. системы") == {
            "code": "6B06101", "name_ru": "Информационные системы", "name_kk": "Ақпараттық жүйелер"}
        assert faculty_name("IT", "kk") == "Ақпараттық технологиялар факультеті"
    # outside an issuing job (a template's example context) the case's own names serve
    assert programme_name("6B06101", "kk", ru="Информационные системы", kk="Ақпараттық жүйелер") == \
        "Ақпараттық жүйелер"


def test_a_missing_kazakh_name_is_an_error_naming_it_never_the_russian_name():
    with using(REGISTRY), pytest.raises(MissingName) as raised:
        programme_name("6B04199", "kk", ru="Маркетинг")
    error = raised.value
    assert (error.what, error.value, error.lang) == ("programme", "6B04199 Маркетинг", "kk")
    message = str(raised.value)
    assert "образовательной программы «6B04199 Маркетинг»" in message
    assert "«6B04199 Маркетинг» білім беру бағдарламасының қазақша атауы жоқ" in message
    assert "The educational programme «6B04199 Маркетинг» has no Kazakh name" in message
    with pytest.raises(MissingName, match="факультета «ECON Экономика»"):
        faculty_name("ECON", "kk", ru="Экономика")
    assert programme_name("", "kk") == ""  # nothing to print, nothing missing


def test_a_typed_name_needs_its_kazakh_field():
    assert typed_name("university", "КарУ", "ҚарУ", "kk") == "ҚарУ"
    assert typed_name("university", "КарУ", None, "ru") == "КарУ"
    with pytest.raises(MissingName, match="организации образования «КарУ»"):
        typed_name("university", "КарУ", " ", "kk")


def test_a_ground_is_named_from_its_table_or_is_missing():
    grounds = {"medical": ("по болезни", "ауруына байланысты")}
    assert ground_name(grounds, "medical", "kk") == "ауруына байланысты"
    assert ground_name(grounds, "medical", "ru") == "по болезни"
    with pytest.raises(MissingName, match="основания «flood»"):
        ground_name(grounds, "flood", "kk")
