"""The registry operators' parameters (server/domain/registry.py): the literal check at deploy
and the check of the evaluated values at run time."""

from __future__ import annotations

from datetime import date

import pytest

from server.domain.iin import make_iin
from server.domain.registry import (
    STUDENT_STATUSES,
    RegistryParamError,
    literal_problems,
    missing_for_new,
    parse_enrol,
    parse_update,
    status_label,
)

IIN = make_iin(date(2004, 3, 9), "M", 4321)
OTHER = make_iin(date(2005, 1, 2), "F", 1234)


def test_statuses_in_one_place() -> None:
    assert set(STUDENT_STATUSES) == {"active", "on_leave", "expelled", "graduated", "transferred_out"}
    assert status_label("expelled") == "отчислен"
    assert status_label("on_leave", "kk") == "академиялық демалыста"
    assert status_label("unknown") == "unknown"


def test_update_of_the_case_student() -> None:
    spec = parse_update({"status": "expelled", "order_number": "12-у"})
    assert (spec.status, spec.changes, spec.rows, spec.order_number) == ("expelled", {}, None, "12-у")
    spec = parse_update({"changes": {"funding": "grant", "year": 3, "group": ""}})
    assert spec.changes == {"funding": "grant", "year": 3, "group": None} and spec.status is None


def test_update_of_a_batch_order_s_students() -> None:
    spec = parse_update({"students": [IIN, {"iin": OTHER, "year": 4}], "changes": {"funding": "grant"}})
    assert spec.rows == {IIN: {}, OTHER: {"year": 4}} and spec.changes == {"funding": "grant"}
    assert parse_update({"students": [], "status": "graduated"}).rows == {}  # an empty list: no one


@pytest.mark.parametrize(("params", "words"), [
    ({"status": "dismissed"}, ["dismissed", "active"]),
    ({"status": 1}, ["статус"]),
    ({"changes": {"gpa": 4}}, ["gpa", "programme_code"]),
    ({"changes": {"year": 0}}, ["year", "от 1 до 7"]),
    ({"changes": {"year": True}}, ["year"]),
    ({"changes": {"funding": "stipend"}}, ["funding", "grant, paid"]),
    ({"changes": {"programme_code": "x" * 33}}, ["programme_code", "32"]),
    ({"changes": {"programme_name": "  "}}, ["programme_name", "непустая"]),
    ({"changes": ["funding"]}, ["changes", "словарь"]),
    ({"students": "040309300127"}, ["students", "список"]),
    ({"students": ["123"]}, ["ИИН «123»"]),
    ({"students": [{"iin": IIN, "status": "expelled"}]}, ["status"]),
    ({"students": [IIN, {"iin": IIN, "year": 3}]}, [IIN, "дважды"]),
    ({"state": "expelled"}, ["state", "status"]),
    ({"order_number": "1-у"}, ["status, changes или students"]),
])
def test_bad_update_parameters(params, words) -> None:
    with pytest.raises(RegistryParamError) as info:
        parse_update(params)
    assert all(word in str(info.value) for word in words), str(info.value)


def test_enrol_one_person_keeps_the_fields_a_record_has() -> None:
    applicant = {"iin": IIN, "last_name": "Иванов", "first_name": "Пётр", "middle_name": "",
                 "faculty_code": "IT", "programme_code": "6B06102", "programme_name": "ПИ", "year": 2,
                 "form": "part_time", "language": "ru", "funding": "paid", "sending_university": "КарУ",
                 "full_name": "Иванов Пётр"}
    spec = parse_enrol({"student": applicant, "order_number": "3-у"})
    assert spec.single and spec.status == "active" and spec.order_number == "3-у"
    (person,) = spec.persons
    assert "sending_university" not in person and "full_name" not in person
    assert person["form"] == "part_time" and person["group"] is None and "middle_name" not in person
    assert missing_for_new(person) == []
    assert missing_for_new({"iin": IIN, "last_name": "Иванов"}) == [
        "first_name", "faculty_code", "programme_code", "programme_name", "year"]


def test_enrol_a_list() -> None:
    spec = parse_enrol({"students": [{"iin": IIN}, {"iin": OTHER, "year": 1}], "status": "active"})
    assert not spec.single and [p["iin"] for p in spec.persons] == [IIN, OTHER]


@pytest.mark.parametrize(("params", "words"), [
    ({}, ["либо student", "либо students"]),
    ({"student": {"iin": IIN}, "students": []}, ["либо student"]),
    ({"student": "Иванов"}, ["student", "словарь"]),
    ({"student": {"iin": IIN, "year": "второй"}}, ["year"]),
    ({"students": [{"iin": IIN}], "status": "sleeping"}, ["sleeping"]),
    ({"students": [{"iin": IIN}], "changes": {}}, ["changes"]),
    ({"students": [{"iin": IIN}, {"iin": IIN, "year": 1}]}, [IIN, "дважды"]),
])
def test_bad_enrol_parameters(params, words) -> None:
    with pytest.raises(RegistryParamError) as info:
        parse_enrol(params)
    assert all(word in str(info.value) for word in words), str(info.value)


UPDATE, ENROL = "student/update", "student/enrol"


def test_literal_check_at_deploy() -> None:
    assert literal_problems(UPDATE, {"status": "'expelled'", "order_number": "order['number']"}) == []
    # expressions are checked at run time
    assert literal_problems(UPDATE, {"status": "'a' if x else 'b'"}) == []
    assert literal_problems(UPDATE, {"changes": "{'programme_code': new_code, 'year': enrol_year}"}) == []
    (problem,) = literal_problems("student/update", {"status": "'dismissed'"})
    assert "dismissed" in problem and "transferred_out" in problem
    (problem,) = literal_problems("student/update", {"changes": "{'gpa': 4.0, 'funding': 'grant'}"})
    assert "gpa" in problem
    (problem,) = literal_problems("student/update", {"changes": "{'funding': 'stipend'}"})
    assert "stipend" in problem
    problems = literal_problems("student/update", {"state": "'expelled'"})
    assert any("state" in p for p in problems) and any("status, changes или students" in p for p in problems)
    assert literal_problems(ENROL, {"students": "students", "order_number": "order['number']"}) == []
    (problem,) = literal_problems("student/enrol", {"order_number": "'1'"})
    assert "либо student" in problem
