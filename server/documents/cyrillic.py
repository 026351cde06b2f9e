"""A name registered in Latin letters, printed in Cyrillic in an order.

The registry keeps a person's name in Cyrillic (`last_name`, `first_name`, `middle_name`) and
the passport spelling in `latin_name`. A foreign student's record imported from a list that has
only the passport spelling carries Latin letters in the Cyrillic fields; an order is a Russian
(Kazakh) text and prints the name in Cyrillic, as the registrar would write it by hand: the
practical transcription below (Kim -> Ким, Min-jun -> Мин-джун, Lee -> Ли, Choi -> Чой,
Yerlan -> Ерлан). A name already in Cyrillic is printed as registered; enter the Cyrillic form
in the registry where the transcription is not the one the person's documents use.
"""

from __future__ import annotations

import re

# longest first; matched case-insensitively at each position
_CLUSTERS = (
    ("shch", "щ"), ("sch", "ш"), ("chr", "кр"), ("yeo", "ё"), ("ohn", "он"),
    ("kh", "х"), ("zh", "ж"), ("ch", "ч"), ("sh", "ш"), ("ts", "ц"),
    ("ya", "я"), ("yu", "ю"), ("yo", "ё"), ("ye", "е"), ("ee", "и"), ("oo", "у"), ("ph", "ф"),
    ("th", "т"), ("ck", "к"), ("x", "кс"), ("j", "дж"), ("w", "в"), ("q", "к"), ("c", "к"),
)
_LETTERS = dict(zip("abdefghiklmnoprstuvz", "абдефгхиклмнопрстувз", strict=True))
_VOWELS = set("aeiouy")
_LATIN = re.compile(r"[A-Za-z]")


def has_latin(text: str) -> bool:
    return bool(_LATIN.search(text))


def _word(word: str) -> str:
    out: list[str] = []
    lower = word.lower()
    i = 0
    while i < len(word):
        for latin, cyr in _CLUSTERS:
            if lower.startswith(latin, i):
                out.append(cyr)
                i += len(latin)
                break
        else:
            ch = lower[i]
            after_vowel = bool(i) and lower[i - 1] in _VOWELS
            if ch == "y" or (ch == "i" and i == len(word) - 1):  # after a vowel: й (Choi, Kay)
                out.append("й" if after_vowel else "и")
            elif lower.endswith("ng", i) and i == len(word) - 2:  # Yang, Jong: -н
                out.append("н")
                i += 1
            else:
                out.append(_LETTERS.get(ch, word[i]))
            i += 1
    text = "".join(out)
    return text[:1].upper() + text[1:] if word[:1].isupper() else text


_NAME_LIKE = re.compile(r"^[^\W\d_]+(?:[\s'’.-]+[^\W\d_]+)*\.?$")


def cyrillic_name(name: str) -> str:
    """The name in Cyrillic: Latin words are transcribed (each part of a hyphenated or
    spaced name keeps its capital), Cyrillic ones are left as they are. Text that is not a
    name (digits, brackets, symbols) is printed as entered rather than transcribed."""
    if not has_latin(name) or not _NAME_LIKE.match(name.strip()):
        return name
    return re.sub(r"[A-Za-z]+", lambda m: _word(m.group(0)), name)
