"""Tolerant search keys: the same text typed differently gives the same key.

`search_key()` is applied both when a name is stored (the `search_key` columns) and when a user
searches, so a substring match of keys finds "ТОВ «Альфа»" for "tob альфа" typed with Latin
T, O, B, and "Кам'янець" for "Камʼянець". The key is for matching only, never for display.
"""

from __future__ import annotations

import re
import unicodedata

APOSTROPHE = "'"
# Everything people (and Word, and phones) put where the Ukrainian apostrophe belongs.
APOSTROPHES = "'\u02bc\u2019\u2018`\u00b4\u02b9\u02bb\u2032\u201b\uff07"
QUOTES = '«»"„“”‟‹›〝〞＂'

# Latin letters that look like Cyrillic ones (after casefold), mapped to their Cyrillic twin.
# Applied to every letter, in names and in queries alike, so the direction does not matter.
LOOKALIKES = {
    "a": "а",
    "b": "в",  # B / В
    "c": "с",
    "e": "е",
    "h": "н",  # H / Н
    "i": "і",
    "ï": "ї",
    "k": "к",
    "m": "м",
    "o": "о",
    "p": "р",
    "t": "т",
    "x": "х",
    "y": "у",
    # Letters Ukrainian keyboards and old data mix up: one form for matching.
    "ґ": "г",
    "ё": "е",
}
_MARKS = str.maketrans({**{ch: APOSTROPHE for ch in APOSTROPHES}, **{ch: " " for ch in QUOTES}})
_LETTERS = str.maketrans(LOOKALIKES)
_SPACES = re.compile(r"\s+")
# An apostrophe not between two letters is a quote mark ('Альфа'), not part of a word.
_LONE_APOSTROPHE = re.compile(r"(?<!\w)'|'(?!\w)")


def search_key(text: str | None) -> str:
    """The matching form of `text`: casefolded, one apostrophe, Latin look-alikes made Cyrillic,
    quotes removed, whitespace collapsed."""
    if not text:
        return ""
    # Marks first: NFKC would turn some of them (the acute accent) into a space and a combining
    # character.
    folded = unicodedata.normalize("NFKC", text.translate(_MARKS)).casefold()
    # casefold() can decompose (e.g. "İ" -> "i̇"); compose again so letters stay single.
    folded = unicodedata.normalize("NFC", folded).translate(_LETTERS)
    folded = _LONE_APOSTROPHE.sub(" ", folded)
    return _SPACES.sub(" ", folded).strip()


def digits_only(text: str | None) -> str:
    """Only the ASCII digits of `text` (for phone and code search)."""
    return "".join(ch for ch in (text or "") if "0" <= ch <= "9")


UKRAINIAN_ALPHABET = "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя"
_ALPHABET_RANK = {letter: index for index, letter in enumerate(UKRAINIAN_ALPHABET)}


def sort_key(text: str | None) -> tuple[tuple[int, int], ...]:
    """Order names the Ukrainian way (І after И, Є after Е, Ґ after Г), case-insensitively;
    digits first, then Cyrillic, then other letters by code point. For short lists in Python:
    SQL sorts by code point (А..Я before І, Є, Ї) on both SQLite and PostgreSQL."""
    key: list[tuple[int, int]] = []
    for ch in unicodedata.normalize("NFC", (text or "").casefold()):
        if ch in _ALPHABET_RANK:
            key.append((1, _ALPHABET_RANK[ch]))
        elif ch.isdigit():
            key.append((0, ord(ch)))
        elif ch.isspace():
            key.append((0, 0))
        else:
            key.append((2, ord(ch)))
    return tuple(key)
