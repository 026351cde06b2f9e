"""server.documents.render and the transfer order templates (templates/order_transfer_in_*.docx)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import docx
import pytest

from server.documents import (
    REGISTER_FORMATS,
    TemplateRenderError,
    decline_full_name,
    format_number,
    render_docx,
    template_variables,
)
from server.documents.checking import example_context

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
RU = TEMPLATES / "order_transfer_in_ru.docx"
KK = TEMPLATES / "order_transfer_in_kk.docx"

HOSTILE_TAG = "<b>жирный</b>"
HOSTILE_AMP = "Информационные системы & технологии"
HOSTILE_JINJA = "{{ x }}"


def _student(last, first, middle, sex, **fields):
    student = {
        "full_name": " ".join(p for p in (last, first, middle) if p),
        "full_name_acc": decline_full_name(last, first, middle, "accusative", sex),
        "iin": "040512300127",
        "year": 2,
        "group": "ИС-24-1",
        "programme": {
            "code": "6B06102",
            "name_ru": "Информационные системы",
            "name_kk": "Ақпараттық жүйелер",
        },
        "form_ru": "очная",
        "form_kk": "күндізгі",
        "language_ru": "русский",
        "language_kk": "орыс",
        "funding_ru": "платная",
        "funding_kk": "ақылы",
        "difference": {"credits": 10, "deadline": "30.12.2026"},
    }
    student.update(fields)
    return student


def sample_context() -> dict:
    return {
        "university": {
            "name_ru": "НАО «Университет A&B»",
            "name_kk": "«A&B университеті» КеАҚ",
            "city_ru": "г. Алматы",
            "city_kk": "Алматы қ.",
        },
        "number": format_number("orders", 2026, 125),
        "date": "15.08.2026",
        "effective_date": "01.09.2026",
        "legal_basis_ru": "Типовыми правилами деятельности организаций высшего образования",
        "legal_basis_kk": "Жоғары білім беру ұйымдары қызметінің үлгілік қағидаларына",
        "students": [
            _student("Иванов", "Пётр", "Сергеевич", "M"),
            _student(
                "Нурланова",
                "Айгерим",
                "Серикқызы",
                None,
                iin="050101400125",
                group=HOSTILE_TAG,
                programme={"code": "6B06103", "name_ru": HOSTILE_AMP, "name_kk": HOSTILE_AMP},
                difference={"credits": 0},
            ),
            _student(
                "Петрова",
                "Анна",
                "Ивановна",
                "F",
                iin="030303400123",
                year=3,
                language_ru=HOSTILE_JINJA,
                language_kk=HOSTILE_JINJA,
                funding_ru="грант",
                funding_kk="грант",
            ),
        ],
        "basis": [
            {"name_ru": "личные заявления обучающихся", "name_kk": "жеке өтініштер"},
            {"name_ru": "справка <b>№5</b> & {{ x }}", "name_kk": "анықтама <b>№5</b> & {{ x }}"},
        ],
        "approvals": [
            {"title_ru": f"{role} ru", "title_kk": f"{role} kk", "name": f"И. {role}"}
            for role in ("dean", "vice_rector", "lawyer")
        ],
        "verification_url": "https://regoffice.example.kz/verify/AB12",
        "qr": "",
        "signatory": {"title_ru": "Ректор", "title_kk": "Ректор", "name": "А. Сериков"},
    }


def read(data: bytes) -> tuple[list[str], list[list[str]]]:
    """Paragraph texts and the rows (cell texts) of the students table."""
    document = docx.Document(io.BytesIO(data))
    assert len(document.tables) == 1
    rows = [[cell.text for cell in row.cells] for row in document.tables[0].rows]
    return [p.text for p in document.paragraphs], rows


def all_text(data: bytes) -> str:
    paragraphs, rows = read(data)
    return "\n".join(paragraphs + ["\t".join(row) for row in rows])


# --------------------------------------------------------------------------- templates


def test_russian_order_renders_number_date_rows_and_declined_names():
    data = render_docx(RU, sample_context())
    paragraphs, rows = read(data)

    assert "15.08.2026\t№ 125-у" in paragraphs
    assert "О зачислении в порядке перевода" in paragraphs
    assert "ПРИКАЗЫВАЮ:" in paragraphs
    assert any("с 01.09.2026 следующих обучающихся" in p for p in paragraphs)
    assert "Ректор\tА. Сериков" in paragraphs
    assert "Согласовано:" in paragraphs and "lawyer ru\tИ. lawyer" in paragraphs
    assert " Проверить подлинность приказа: https://regoffice.example.kz/verify/AB12" in paragraphs

    header, *students = rows
    assert header[:3] == ["№", "Фамилия, имя, отчество", "ИИН"]
    assert len(students) == 3  # the {%tr %} rows are gone
    assert [row[0] for row in students] == ["1", "2", "3"]
    assert [row[1] for row in students] == [
        "Иванова Петра Сергеевича",
        "Нурланову Айгерим Серикқызы",
        "Петрову Анну Ивановну",
    ]
    first = students[0]
    assert first[2:] == [
        "040512300127",
        "2\nИС-24-1",
        "6B06102 Информационные системы",
        "очная, русский, платная",
        "10, до 30.12.2026",
    ]
    assert students[1][-1] == "нет"


def test_kazakh_order_uses_nominative_names_and_kazakh_texts():
    data = render_docx(KK, sample_context())
    paragraphs, rows = read(data)

    assert "«A&B университеті» КеАҚ" in paragraphs
    assert "БҰЙРЫҚ" in paragraphs and "ПРИКАЗ" not in "\n".join(paragraphs)
    assert "15.08.2026\t№ 125-у" in paragraphs
    assert "Ауыстыру тәртібімен қабылдау туралы" in paragraphs
    assert "БҰЙЫРАМЫН:" in paragraphs
    assert "Ректор\tА. Сериков" in paragraphs
    assert "Келісілді:" in paragraphs and "dean kk\tИ. dean" in paragraphs

    header, *students = rows
    assert header[2] == "ЖСН"
    assert len(students) == 3
    assert [row[1] for row in students] == [
        "Иванов Пётр Сергеевич",
        "Нурланова Айгерим Серикқызы",
        "Петрова Анна Ивановна",
    ]
    assert students[0][4] == "6B06102 Ақпараттық жүйелер"
    assert students[0][5] == "күндізгі, орыс, ақылы"
    assert students[0][-1] == "10, 30.12.2026 дейін"
    assert students[1][-1] == "жоқ"


@pytest.mark.parametrize("template", [RU, KK], ids=["ru", "kk"])
def test_hostile_strings_appear_literally(template):
    data = render_docx(template, sample_context())
    text = all_text(data)
    assert HOSTILE_TAG in text
    assert HOSTILE_AMP in text
    assert HOSTILE_JINJA in text
    assert "<b>№5</b> & {{ x }}" in text
    assert "A&B" in text
    # escaped in the XML, not turned into markup
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        body = package.read("word/document.xml").decode()
    assert "&lt;b&gt;жирный&lt;/b&gt;" in body
    assert "<b>" not in body


def test_control_characters_are_dropped_not_turned_into_breaks():
    context = sample_context()
    context["students"][0]["full_name_acc"] = "Иванова\x0bПетра\x0cСергеевича"
    _, rows = read(render_docx(RU, context))
    assert rows[1][1] == "ИвановаПетраСергеевича"


def test_undefined_variable_raises_naming_it():
    context = sample_context()
    del context["date"]
    with pytest.raises(TemplateRenderError) as info:
        render_docx(RU, context)
    assert info.value.variable == "date"
    assert info.value.template_name == "order_transfer_in_ru.docx"
    assert "'date'" in str(info.value)


def test_undefined_attribute_raises_naming_it():
    context = sample_context()
    del context["students"][2]["iin"]
    with pytest.raises(TemplateRenderError) as info:
        render_docx(KK, context)
    assert info.value.variable == "iin"
    assert "iin" in str(info.value)


def test_deadline_is_needed_only_with_a_difference():
    context = sample_context()
    del context["students"][0]["difference"]["deadline"]
    with pytest.raises(TemplateRenderError, match="deadline"):
        render_docx(RU, context)
    context["students"][0]["difference"]["credits"] = 0
    render_docx(RU, context)


def test_missing_or_broken_template(tmp_path):
    with pytest.raises(TemplateRenderError, match="not found"):
        render_docx(tmp_path / "nope.docx", {})

    broken = docx.Document()
    broken.add_paragraph("{{ unclosed ")
    path = tmp_path / "broken.docx"
    broken.save(path)
    with pytest.raises(TemplateRenderError, match="syntax error"):
        render_docx(path, {})
    with pytest.raises(TemplateRenderError, match="syntax error"):
        template_variables(path)


def test_compiled_template_is_reused_only_for_the_same_source(tmp_path):
    """Renders share the compiled parts of a template; an edited file is compiled anew, and
    one render's values never leak into the next."""
    path = tmp_path / "letter.docx"
    for text, values, expected in (
        ("Уважаемый {{ name }}!", [{"name": "Асан"}, {"name": "Бекзат"}],
         ["Уважаемый Асан!", "Уважаемый Бекзат!"]),
        ("Справка № {{ name }}", [{"name": "7-с"}], ["Справка № 7-с"]),
    ):
        template = docx.Document()
        template.add_paragraph(text)
        template.save(path)
        for context, line in zip(values, expected, strict=True):
            rendered = docx.Document(io.BytesIO(render_docx(path, context)))
            assert [p.text for p in rendered.paragraphs if p.text] == [line]
    with pytest.raises(TemplateRenderError, match="'name'"):
        render_docx(path, {})


def test_template_variables():
    common = {
        "university",
        "number",
        "date",
        "effective_date",
        "students",
        "basis",
        "approvals",
        "signatory",
        "qr",
        "verification_url",
    }
    assert template_variables(RU) == common | {"legal_basis_ru"}
    assert template_variables(KK) == common | {"legal_basis_kk"}


@pytest.mark.parametrize("template", [RU, KK], ids=["ru", "kk"])
def test_every_tag_sits_in_one_run(template):
    document = docx.Document(template)
    paragraphs = list(document.paragraphs)
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                paragraphs.extend(cell.paragraphs)
    tags = 0
    for paragraph in paragraphs:
        for run in paragraph.runs:
            assert run.text.count("{{") == run.text.count("}}"), run.text
            assert run.text.count("{%") == run.text.count("%}"), run.text
            tags += run.text.count("{{") + run.text.count("{%")
    assert tags > 20


def example(base: str = "order_transfer_in") -> dict:
    """The documented example context of a template base (templates/<base>.example.json)."""
    return example_context(TEMPLATES, base)


@pytest.mark.parametrize("template", [RU, KK], ids=["ru", "kk"])
def test_documented_example_context_renders(template):
    context = example()
    _, rows = read(render_docx(template, {**context, "qr": ""}))
    assert len(rows) == 1 + len(context["students"])


# --------------------------------------------------------------------------- numbering


def test_format_number_defaults():
    assert REGISTER_FORMATS["orders"] == "{seq}-у"
    assert format_number("orders", 2026, 125) == "125-у"
    assert format_number("certificates", 2026, 7) == "7-с"
    assert format_number("duplicates", 2026, 3) == "3-д"


def test_format_number_pattern_override():
    assert format_number("orders", 2026, 5, "{seq}-у") == "5-у"
    assert format_number("orders", 2026, 5, "{seq:04d}/{yy}") == "0005/26"
    assert format_number("orders", 2026, 42, "{register}-{year}-{seq}") == "orders-2026-42"
    assert format_number("military", 2026, 1, "{seq}-в") == "1-в"


@pytest.mark.parametrize(
    ("register", "seq", "pattern"),
    [
        ("unknown", 1, None),
        ("orders", 0, None),
        ("orders", True, None),
        ("orders", 1, "без номера"),
        ("orders", 1, "{seq.__class__}"),
        ("orders", 1, "{seq!r}"),
        ("orders", 1, "{other}-{seq}"),
        ("orders", 1, "{seq"),
    ],
)
def test_format_number_rejects(register, seq, pattern):
    with pytest.raises(ValueError):
        format_number(register, 2026, seq, pattern)


# --------------------------------------------------------------------------- declension


def test_petrovich_declines_petr():
    # «Пётр» is an exception in petrovich's rules; «Петр» (no ё) follows the suffix rules
    assert decline_full_name("Иванов", "Пётр", "Сергеевич", "accusative", "M") == ("Иванова Петра Сергеевича")
    assert decline_full_name("Иванов", "Петр", "Сергеевич", "accusative", "M") == ("Иванова Петра Сергеевича")
    assert decline_full_name("Иванов", "Пётр", "Сергеевич", "dative", None) == ("Иванову Петру Сергеевичу")


def test_kazakh_name():
    # sex from the patronymic «-қызы»; the name and the patronymic do not decline in Russian
    assert decline_full_name("Нурланова", "Айгерим", "Серикқызы", "accusative", None) == (
        "Нурланову Айгерим Серикқызы"
    )
    assert decline_full_name("Нурланова", "Айгерим", "Серикқызы", "genitive", "F") == (
        "Нурлановой Айгерим Серикқызы"
    )
    assert decline_full_name("Сейтказы", "Ерлан", "Нурланұлы", "genitive", None) == (
        "Сейтказы Ерлана Нурланұлы"
    )
    assert decline_full_name("Оспан", "Әсел", "Серик кызы", "dative", None) == ("Оспан Әсел Серик кызы")


def test_female_russian_name():
    assert decline_full_name("Петрова", "Анна", "Ивановна", "accusative", None) == ("Петрову Анну Ивановну")
    assert decline_full_name("Петрова", "Мария", "Ильинична", "instrumental", "F") == (
        "Петровой Марией Ильиничной"
    )
    assert decline_full_name("Ким", "Ольга", None, "genitive", "F") == "Ким Ольги"


def test_rules_petrovich_2_gets_wrong():
    assert decline_full_name("Черных", "Никита", "Ильич", "accusative", "M") == ("Черных Никиту Ильича")
    assert decline_full_name("Цой", "Виктор", "Робертович", "genitive", "M") == ("Цоя Виктора Робертовича")
    assert decline_full_name("Бонч-Бруевич", "Михаил", "Дмитриевич", "dative", "M") == (
        "Бонч-Бруевичу Михаилу Дмитриевичу"
    )
    assert decline_full_name("ИВАНОВ", "ПЁТР", None, "genitive", "M") == "ИВАНОВА ПЕТРА"


def test_unknown_sex_without_patronymic_keeps_nominative():
    assert decline_full_name("Ким", "Саша", None, "accusative", None) == "Ким Саша"
    assert decline_full_name("Smith", "John", "", "accusative", None) == "Smith John"


def test_decline_arguments():
    assert decline_full_name("Иванов", "Пётр", "Сергеевич", "nominative", "M") == ("Иванов Пётр Сергеевич")
    with pytest.raises(ValueError):
        decline_full_name("Иванов", "Пётр", "Сергеевич", "vocative", "M")
    with pytest.raises(ValueError):
        decline_full_name("Иванов", "Пётр", "Сергеевич", "genitive", "X")


def test_readme_example_matches_the_example_file():
    readme = (TEMPLATES / "README.md").read_text(encoding="utf-8")
    block = readme.split("```json\n", 1)[1].split("```", 1)[0]
    assert json.loads(block) == example()
