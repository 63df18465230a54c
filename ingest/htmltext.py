"""HTML mail to readable plain text (pure, stdlib only).

Keeps paragraphs, line breaks, list items and table rows; drops scripts, styles, the head and
comments; tolerates the broken HTML that mail clients produce. Links keep their text only.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIP = {"script", "style", "head", "title", "noscript", "template", "xml", "o:p"}
_BLOCK = {
    "p",
    "div",
    "table",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "blockquote",
    "pre",
    "section",
    "article",
    "header",
    "footer",
    "address",
    "dl",
    "dt",
    "dd",
    "form",
    "center",
    "hr",
    "tbody",
    "thead",
    "tfoot",
    "caption",
    "fieldset",
    "main",
    "nav",
    "aside",
}
_CELL = {"td", "th"}
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE
)


class _TextBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.pre_depth = 0

    def _newline(self, count: int = 1) -> None:
        self.parts.append("\n" * count)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip_depth += 1
            return
        if tag == "br":
            self._newline()
        elif tag == "li":
            self._newline()
            self.parts.append("• ")
        elif tag in _CELL:
            self.parts.append(" ")
        elif tag in _BLOCK:
            self._newline()
            if tag == "pre":
                self.pre_depth += 1
        elif tag == "img":
            alt = dict(attrs).get("alt") or ""
            if alt.strip() and not self.skip_depth:
                self.parts.append(alt.strip())

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            return
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if tag in _BLOCK:
            self._newline()
            if tag == "pre":
                self.pre_depth = max(0, self.pre_depth - 1)
            if tag in ("p", "table", "blockquote", "h1", "h2", "h3"):
                self._newline()

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if self.pre_depth:
            self.parts.append(data)
        else:
            self.parts.append(_SPACES.sub(" ", data.replace("\n", " ")))


def html_to_text(html: str) -> str:
    """Readable text from an HTML body; never raises."""
    builder = _TextBuilder()
    try:
        builder.feed(html)
        builder.close()
        raw = "".join(builder.parts)
    except Exception:  # the stdlib parser is lenient, but never let a body stop the mail
        raw = re.sub(r"<[^>]*>", " ", html)
    lines = [_SPACES.sub(" ", line).strip() for line in raw.split("\n")]
    text = "\n".join(lines)
    return _BLANK_LINES.sub("\n\n", text).strip()


def meta_charset(data: bytes) -> str | None:
    """The charset an HTML document declares in a <meta> tag, if any."""
    found = _META_CHARSET.search(data[:4096])
    return found.group(1).decode("ascii") if found else None
