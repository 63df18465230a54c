"""Bytes to text for real mail: declared charsets are hints, not facts (pure, stdlib only).

Ukrainian and Russian mail arrives in windows-1251, koi8-u, koi8-r, cp866 and mac-cyrillic, is
often mislabelled (koi8-r for Ukrainian text, iso-8859-1 or nothing at all for windows-1251) and
sometimes carries raw 8-bit bytes where only ASCII is allowed. `decode_bytes` takes the declared
charset as a hint and falls back to detection: UTF-8 when the bytes are valid UTF-8, otherwise a
scoring of the Cyrillic single-byte candidates by letter frequency and letter case.
"""

from __future__ import annotations

import codecs
import math
import re
from collections import Counter
from functools import lru_cache

# Declared names that Python does not know, or knows under another name. Western single-byte
# charsets are read as their supersets, as browsers do.
_ALIASES = {
    "x-mac-cyrillic": "mac_cyrillic",
    "mac-cyrillic": "mac_cyrillic",
    "x-mac-ukrainian": "mac_cyrillic",
    "unicode-1-1-utf-7": "utf_7",
    "x-unicode-1-1-utf-7": "utf_7",
    "unicode-2-0-utf-7": "utf_7",
    "utf7": "utf_7",
    "utf8": "utf_8",
    "x-utf8": "utf_8",
    "unicode-1-1-utf-8": "utf_8",
    "unicode-2-0-utf-8": "utf_8",
    "cp-1251": "cp1251",
    "win-1251": "cp1251",
    "windows1251": "cp1251",
    "x-cp1251": "cp1251",
    "win1251": "cp1251",
    "koi8r": "koi8_u",
    "koi8-r": "koi8_u",
    "koi8_r": "koi8_u",
    "koi8u": "koi8_u",
    "x-koi8-u": "koi8_u",
    "koi8-ru": "koi8_u",
    "ibm866": "cp866",
    "cp-866": "cp866",
    "866": "cp866",
    "x-cp866": "cp866",
    "cp866u": "cp1125",
    "cp866-u": "cp1125",
    "ruscii": "cp1125",
    "ibm1125": "cp1125",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "ascii",
    "ansi_x3.4-1968": "ascii",
    "iso-8859-8-i": "iso8859_8",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "tis-620": "cp874",
    "windows-874": "cp874",
    "shift-jis": "cp932",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
}

_UNKNOWN = {"", "unknown-8bit", "x-unknown", "unknown", "default", "x-user-defined", "none"}

UTF8 = "utf_8"
WESTERN = {"ascii", "cp1252", "latin_1", "iso8859_15", "cp1250", "iso8859_2"}
CYRILLIC = {"cp1251", "koi8_u", "koi8_r", "cp866", "cp1125", "mac_cyrillic", "iso8859_5"}
# DOS Ukrainian is usually cp1125 (RUSCII) labelled "cp866": they differ only in 0xF2-0xF9.
_FAMILY = {"cp866": ("cp866", "cp1125"), "cp1125": ("cp1125", "cp866")}
# Candidates for detection with their prior (how common they are in mail today).
_DETECT_CANDIDATES = {
    "cp1251": 0.0,
    "koi8_u": -0.1,
    "cp866": -0.2,
    "cp1125": -0.25,
    "mac_cyrillic": -0.5,
}

# Letter frequencies (per mille) of Ukrainian and Russian business text, merged.
_FREQ = {
    "о": 95,
    "а": 80,
    "е": 72,
    "н": 65,
    "и": 58,
    "т": 58,
    "і": 33,
    "с": 50,
    "р": 47,
    "в": 46,
    "л": 41,
    "к": 35,
    "м": 30,
    "д": 30,
    "п": 28,
    "у": 28,
    "я": 20,
    "з": 18,
    "ь": 17,
    "г": 17,
    "б": 16,
    "ч": 14,
    "й": 12,
    "х": 10,
    "ы": 10,
    "ж": 9,
    "ш": 7,
    "ю": 7,
    "ц": 6,
    "є": 5,
    "ї": 5,
    "щ": 4,
    "ф": 3,
    "э": 3,
    "ґ": 0.4,
    "ё": 2,
    "ъ": 0.4,
}
_LOGFREQ = {ch: math.log(f / 1000) for ch, f in _FREQ.items()}
_RARE_LETTER = math.log(0.05 / 1000)
_DETECT_SAMPLE = 65536  # bytes scored by letter frequency
_SHAPE_SAMPLE = 4096  # bytes checked for word shapes
_NOT_A_LETTER = -12.0
_BOX_DRAWING = -20.0
_BAD_CASE = -6.0

_ENCODED_STATEFUL = {"utf_7", "iso2022_jp", "iso2022_jp_2", "iso2022_kr", "hz"}


@lru_cache(maxsize=256)
def codec_for(declared: str | None) -> str | None:
    """Python's codec name for a declared charset, or None when unknown or empty."""
    if not declared:
        return None
    name = declared.strip().strip("\"'").strip().lower()
    name = name.split(";")[0].split("*")[0].strip()
    if name in _UNKNOWN:
        return None
    if name in _ALIASES:
        return _ALIASES[name]
    for candidate in (name, name.removeprefix("x-"), name.replace("_", "-")):
        try:
            info = codecs.lookup(candidate)
        except (LookupError, ValueError):
            continue
        if not getattr(info, "_is_text_encoding", True):
            return None  # rot13, base64 and friends are not charsets
        codec = info.name.replace("-", "_")
        if codec in ("latin_1", "iso8859_1"):
            return "cp1252"
        if codec == "koi8_r":
            return "koi8_u"
        return codec
    return None


def _is_ascii(data: bytes) -> bool:
    return data.isascii()


_HIGH_WORD = re.compile(rb"[A-Za-z\x80-\xff]*[\x80-\xff][A-Za-z\x80-\xff]*")
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def looks_cyrillic_8bit(data: bytes) -> bool:
    """True when 8-bit bytes make up whole words, as Cyrillic in a single-byte charset does
    (in Western European text they are a letter or two inside mostly ASCII words)."""
    high = letters = 0
    for word in _HIGH_WORD.findall(data):
        letters += len(word)
        high += sum(1 for b in word if b >= 0x80)
    return bool(letters) and high / letters > 0.6


def mostly_utf8(data: bytes) -> bool:
    """UTF-8 with a few broken bytes (a truncated name, one bad character in a long body)."""
    high = sum(1 for b in data if b >= 0x80)
    if not high:
        return False
    covered = sum(len(m) for m in _UTF8_SEQUENCE.findall(data))
    return covered / high >= 0.9


_TYPOGRAPHIC = set("«»—–…№°’\u00a0")
_TYPOGRAPHIC_COST = -3.0
_VOWELS = set("аеиіоуяюєїыэё")
_WORD = re.compile(r"[^\W\d_]+")


def _char_score(ch: str) -> float:
    if "\u0400" <= ch <= "\u04ff" and ch.isalpha():
        return _LOGFREQ.get(ch.lower(), _RARE_LETTER)
    if ch in _TYPOGRAPHIC:
        return _TYPOGRAPHIC_COST
    if "\u2500" <= ch <= "\u259f" or ch == "\ufffd":
        return _BOX_DRAWING
    return _NOT_A_LETTER


@lru_cache(maxsize=16)
def _byte_scores(codec: str) -> tuple[float, ...]:
    """The letter score of every byte 0x80..0xFF when read as `codec`."""
    return tuple(
        _char_score(bytes([b]).decode(codec, errors="replace")) for b in range(0x80, 0x100)
    )


def _shape_penalty(text: str) -> float:
    """What a wrong single-byte charset produces: words in mIXed case, long consonant runs."""
    total = 0.0
    for word in _WORD.findall(text):
        if len(word) < 2 or word.isascii():
            continue
        if not (word.islower() or word.isupper() or (word[0].isupper() and word[1:].islower())):
            total += _BAD_CASE * len(word)
        run = 0
        for ch in word.lower():
            run = 0 if ch in _VOWELS or ch < "\x80" else run + 1
            if run > 3:
                total += _BAD_CASE
    return total


def cyrillic_total(data: bytes, codec: str, counts: Counter[int] | None = None) -> float:
    """Summed plausibility of `data` read as `codec`, as Ukrainian/Russian text: unigram letter
    frequencies of the 8-bit bytes plus the shape penalty of a sample."""
    counts = counts if counts is not None else Counter(data)
    scores = _byte_scores(codec)
    unigram = sum(counts[b] * scores[b - 0x80] for b in range(0x80, 0x100) if counts[b])
    return unigram + _shape_penalty(data[:_SHAPE_SAMPLE].decode(codec, errors="replace"))


def detect_cyrillic(data: bytes, prefer: str | None = None) -> str:
    """The most plausible Cyrillic single-byte codec for `data`.

    Summed scores are compared, so a few wrong letters in a long text still count; a declared
    (`prefer`) codec is kept unless another one is clearly better.
    """
    data = data[:_DETECT_SAMPLE]
    counts = Counter(data)
    high = sum(n for b, n in counts.items() if b >= 0x80)
    scores = {
        codec: cyrillic_total(data, codec, counts) + prior * high
        for codec, prior in _DETECT_CANDIDATES.items()
    }
    if prefer in CYRILLIC:
        for codec in _FAMILY.get(prefer, (prefer,)):
            scores[codec] = cyrillic_total(data, codec, counts) + 4.0 + 0.3 * high
    return max(scores, key=lambda codec: scores[codec])


def _try(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode `data`, using `declared` as a hint; returns (text, codec actually used)."""
    if not data:
        return "", codec_for(declared) or "ascii"
    codec = codec_for(declared)
    if _is_ascii(data):
        if codec in _ENCODED_STATEFUL:
            text = _try(data, codec)
            if text is not None:
                return text, codec
        return data.decode("ascii"), "ascii"
    if codec in (UTF8, "utf_8_sig"):
        text = _try(data, "utf_8")
        if text is not None:
            return text.removeprefix("\ufeff"), UTF8
        if mostly_utf8(data):
            return data.decode(UTF8, errors="replace"), UTF8
        return _fallback(data, None)
    if codec in CYRILLIC:
        if _try(data, UTF8) is not None and _has_multibyte(data):
            return data.decode(UTF8), UTF8
        chosen = detect_cyrillic(data, prefer=codec)
        return data.decode(chosen, errors="replace"), chosen
    if codec is None or codec in WESTERN:
        return _fallback(data, codec)
    text = _try(data, codec)
    if text is not None:
        return text, codec
    return _fallback(data, codec)


def _has_multibyte(data: bytes) -> bool:
    return re.search(rb"[\xc2-\xf4][\x80-\xbf]", data) is not None


def _fallback(data: bytes, codec: str | None) -> tuple[str, str]:
    text = _try(data, UTF8)
    if text is not None:
        return text, UTF8
    if mostly_utf8(data):
        return data.decode(UTF8, errors="replace"), UTF8
    if looks_cyrillic_8bit(data):
        chosen = detect_cyrillic(data)
        return data.decode(chosen, errors="replace"), chosen
    target = codec if codec and codec not in _ENCODED_STATEFUL and codec != "ascii" else "cp1252"
    return data.decode(target, errors="replace"), target


def decode_header_bytes(data: bytes) -> str:
    """Raw 8-bit header bytes (no charset declared anywhere) to text."""
    return decode_bytes(data, None)[0]


def charset_label(codec: str) -> str:
    """A codec name as people write it (koi8_u -> koi8-u)."""
    labels = {"cp1251": "windows-1251", "cp1252": "windows-1252", "mac_cyrillic": "x-mac-cyrillic"}
    return labels.get(codec, codec.replace("_", "-"))
