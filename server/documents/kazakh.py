"""Kazakh case endings for names and noun phrases printed in Kazakh documents.

Kazakh declines a noun phrase by adding the case ending to its last word only: «Ахметов Нұрлан
Серікұлы» → dative «Ахметов Нұрлан Серікұлына», «Иванов Петр Сергеевич» → «Иванов Петр
Сергеевичке». The ending is chosen by two things:

* vowel harmony: the last vowel of the word — back (а, о, ұ, ы, я, ё) takes a back ending
  (-ға, -дың), front (ә, ө, ү, і, е, э) a front one (-ге, -дің); и, у and ю are read as front
  and back by the vowels before them (Russian names end in -ич, -ий: «Сергеевич» → front);
* the last sound: a vowel; a sonorant (л, р, й, у, и); a nasal (м, н, ң); a voiced з, ж; or a
  voiceless/stop consonant (к, қ, п, т, с, ш, ф, х, ц, ч, щ, б, в, г, ғ, д, һ).

A word ending in a third-person possessive (patronymics «-ұлы», «-қызы» and head nouns such as
«факультеті», «университеті», «кеңсесі») takes the pronominal «н» endings: «Серікқызына»,
«факультетінің», «университетін».

Sources: the case tables of Kazakh school grammars (e.g. «Қазақ тілі. Грамматика», 2002 —
ілік, барыс, табыс, жатыс, шығыс, көмектес септіктер). The rule set is small by design and
tested word by word in tests/unit/test_kazakh.py.
"""

from __future__ import annotations

import re

__all__ = ["KK_CASES", "decline_full_name_kk", "decline_phrase_kk", "decline_word_kk"]

#: The oblique cases a document sentence needs, by their English names (Kazakh names in brackets).
KK_CASES = (
    "genitive",      # ілік: -ның/-нің, -дың/-дің, -тың/-тің
    "dative",        # барыс: -ға/-ге, -қа/-ке
    "accusative",    # табыс: -ны/-ні, -ды/-ді, -ты/-ті
    "locative",      # жатыс: -да/-де, -та/-те
    "ablative",      # шығыс: -дан/-ден, -нан/-нен, -тан/-тен
    "instrumental",  # көмектес: -мен, -бен, -пен
)

_BACK = set("аоұыяёaouy")
_FRONT = set("әөүіеэei")
_AMBIGUOUS = set("иую")
_VOWELS = _BACK | _FRONT | set("аәеёиоөұүыіэюяaeiouy") - set("иу")
_SONORANT = set("лрйуиlrwy")
_NASAL = set("мнңmn")
_VOICED = set("зжzj")
_SOFT_SIGNS = "ьъ"

# suffix per (case, sound class) as (back form, front form); sound classes as above.
_ENDINGS: dict[str, dict[str, tuple[str, str]]] = {
    "genitive": {"vowel": ("ның", "нің"), "nasal": ("ның", "нің"), "sonorant": ("дың", "дің"),
                 "voiced": ("дың", "дің"), "voiceless": ("тың", "тің")},
    "dative": {"vowel": ("ға", "ге"), "nasal": ("ға", "ге"), "sonorant": ("ға", "ге"),
               "voiced": ("ға", "ге"), "voiceless": ("қа", "ке")},
    "accusative": {"vowel": ("ны", "ні"), "nasal": ("ды", "ді"), "sonorant": ("ды", "ді"),
                   "voiced": ("ды", "ді"), "voiceless": ("ты", "ті")},
    "locative": {"vowel": ("да", "де"), "nasal": ("да", "де"), "sonorant": ("да", "де"),
                 "voiced": ("да", "де"), "voiceless": ("та", "те")},
    "ablative": {"vowel": ("дан", "ден"), "nasal": ("нан", "нен"), "sonorant": ("дан", "ден"),
                 "voiced": ("дан", "ден"), "voiceless": ("тан", "тен")},
    "instrumental": {"vowel": ("мен", "мен"), "nasal": ("мен", "мен"), "sonorant": ("мен", "мен"),
                     "voiced": ("бен", "бен"), "voiceless": ("пен", "пен")},
}

# after a third-person possessive («Серікұлы», «факультеті»): the pronominal n.
_POSSESSIVE_ENDINGS: dict[str, tuple[str, str]] = {
    "genitive": ("ның", "нің"), "dative": ("на", "не"), "accusative": ("н", "н"),
    "locative": ("нда", "нде"), "ablative": ("нан", "нен"), "instrumental": ("мен", "мен"),
}

# Words that end in a third-person possessive suffix: patronymic parts and the head nouns of
# the institution names documents print. Compared in lower case, as word endings.
_POSSESSIVE_TAILS = (
    "ұлы", "улы", "қызы", "кызы",
    "факультеті", "университеті", "институты", "академиясы", "кафедрасы", "бөлімі",
    "орталығы", "колледжі", "министрлігі", "басқармасы", "кеңсесі", "бағдарламасы",
    "комитеті", "департаменті", "мекемесі", "ұйымы", "қызметі", "мектебі", "комиссариаты",
    "істері", "бөлімшесі", "жөніндегі бөлімі",
)

_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*", re.UNICODE)


def _harmony_is_front(word: str) -> bool:
    """True when the word's last vowel asks for a front ending."""
    lower = word.lower()
    if lower.endswith("ь"):  # a soft final consonant reads front («Игорь» → «Игорьге»)
        return True
    ambiguous_seen: str | None = None
    for char in reversed(lower):
        if char in _BACK:
            return False
        if char in _FRONT:
            return True
        if char in _AMBIGUOUS and ambiguous_seen is None:
            ambiguous_seen = char
    # only и/у/ю: и and ю read as front, у as back («Ли» → «Лиге», «Ту» → «Туға»).
    return ambiguous_seen in ("и", "ю")


def _sound_class(word: str) -> str:
    stripped = word.lower().rstrip(_SOFT_SIGNS)
    if not stripped:
        raise ValueError(f"no letters to decline in {word!r}")
    last = stripped[-1]
    if last in _SONORANT:
        return "sonorant"
    if last in _VOWELS:
        return "vowel"
    if last in _NASAL:
        return "nasal"
    if last in _VOICED:
        return "voiced"
    return "voiceless"


def _is_possessive(word: str) -> bool:
    lower = word.lower()
    return any(lower.endswith(tail) and len(lower) >= len(tail) for tail in _POSSESSIVE_TAILS)


def _match_case(word: str, suffix: str) -> str:
    return suffix.upper() if word.isupper() and len(word) > 1 else suffix


def decline_word_kk(word: str, case: str, *, possessive: bool | None = None) -> str:
    """``word`` with the Kazakh ending of ``case`` (one of :data:`KK_CASES`).

    ``possessive`` forces (or denies) the pronominal endings of a third-person possessive;
    by default they are used for the known tails (-ұлы, -қызы, «факультеті» …)."""
    if case not in _ENDINGS:
        raise ValueError(f"unknown case {case!r}; expected one of {', '.join(KK_CASES)}")
    if not word or not any(ch.isalpha() for ch in word):
        raise ValueError(f"no letters to decline in {word!r}")
    front = _harmony_is_front(word)
    if possessive if possessive is not None else _is_possessive(word):
        suffix = _POSSESSIVE_ENDINGS[case][front]
    else:
        suffix = _ENDINGS[case][_sound_class(word)][front]
    return word + _match_case(word, suffix)


def decline_phrase_kk(phrase: str, case: str, *, possessive: bool | None = None) -> str:
    """A noun phrase with the case ending on its last word («Экономика факультеті» →
    «Экономика факультетіне»). Closing quotes and brackets after the last word stay after the
    ending («"Абай" университеті» keeps its quotes); an empty phrase is an error."""
    matches = list(_WORD.finditer(phrase))
    if not matches:
        raise ValueError(f"no word to decline in {phrase!r}")
    last = matches[-1]
    declined = decline_word_kk(last.group(0), case, possessive=possessive)
    return phrase[: last.start()] + declined + phrase[last.end():]


def decline_full_name_kk(last: str, first: str, middle: str | None, case: str) -> str:
    """«Фамилия Аты Әкесінің аты» in ``case``: the ending goes on the last part only."""
    parts = [p.strip() for p in (last, first, middle or "") if p and p.strip()]
    if not parts:
        raise ValueError("a full name needs at least one part")
    return decline_phrase_kk(" ".join(parts), case)
