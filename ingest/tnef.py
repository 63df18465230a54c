"""A small reader for Microsoft TNEF (winmail.dat, application/ms-tnef); pure, stdlib only.

Outlook wraps attachments and the HTML body into one TNEF stream. This reader lists the files
inside (name, size, bytes) and pulls out a plain or HTML body when one is there. Compressed RTF
bodies are not decoded. It never raises on bad input: it returns what it could read and a list
of problems.

Format: [MS-OXTNEF] (signature 0x223E9F78, legacy key, then attributes: level u8, id u32,
length u32, data, checksum u16); attachment MAPI properties follow [MS-OXTNEF] 2.1.3.4.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from ingest.charsets import decode_bytes
from ingest.htmltext import meta_charset

SIGNATURE = 0x223E9F78

LVL_MESSAGE = 1
LVL_ATTACHMENT = 2

ATT_BODY = 0x0002800C
ATT_OEM_CODEPAGE = 0x00069007
ATT_ATTACH_REND_DATA = 0x00069002
ATT_ATTACH_TITLE = 0x00018010
ATT_ATTACH_DATA = 0x0006800F
ATT_ATTACHMENT = 0x00069005
ATT_MAPI_PROPS = 0x00069003

PR_BODY = 0x1000
PR_BODY_HTML = 0x1013
PR_HTML = 0x1013
PR_DISPLAY_NAME = 0x3001
PR_ATTACH_DATA = 0x3701
PR_ATTACH_FILENAME = 0x3704
PR_ATTACH_LONG_FILENAME = 0x3707
PR_ATTACH_MIME_TAG = 0x370E

PT_STRING8 = 0x001E
PT_UNICODE = 0x001F
PT_BINARY = 0x0102
PT_OBJECT = 0x000D
MV_FLAG = 0x1000
_FIXED_SIZES = {
    0x0001: 4,
    0x0002: 4,
    0x0003: 4,
    0x0004: 4,
    0x0005: 8,
    0x0006: 8,
    0x0007: 8,
    0x000A: 4,
    0x000B: 4,
    0x0014: 8,
    0x0040: 8,
    0x0048: 16,
}
_VARIABLE = {PT_STRING8, PT_UNICODE, PT_BINARY, PT_OBJECT}


@dataclass
class TnefFile:
    name: str
    data: bytes
    mime_type: str = ""

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class TnefContent:
    files: list[TnefFile] = field(default_factory=list)
    body_text: str = ""
    body_html: str = ""
    problems: list[str] = field(default_factory=list)


class _Truncated(Exception):
    pass


def is_tnef(data: bytes) -> bool:
    return len(data) >= 6 and struct.unpack_from("<I", data, 0)[0] == SIGNATURE


def read_tnef(data: bytes) -> TnefContent:
    """Everything readable from a TNEF stream; problems are listed, never raised."""
    content = TnefContent()
    if not is_tnef(data):
        content.problems.append("not_tnef")
        return content
    codepage = "cp1252"
    current: dict[str, object] | None = None
    attachments: list[dict[str, object]] = []
    pos = 6
    try:
        while pos + 9 <= len(data):
            level = data[pos]
            att_id, length = struct.unpack_from("<II", data, pos + 1)
            start = pos + 9
            end = start + length
            if end + 2 > len(data):
                raise _Truncated
            value = data[start:end]
            pos = end + 2  # skip the checksum
            if att_id == ATT_OEM_CODEPAGE and len(value) >= 4:
                codepage = f"cp{struct.unpack_from('<I', value, 0)[0]}"
            elif level == LVL_ATTACHMENT and att_id == ATT_ATTACH_REND_DATA:
                current = {}
                attachments.append(current)
            elif level == LVL_ATTACHMENT and current is not None:
                if att_id == ATT_ATTACH_TITLE:
                    current["title"] = _string8(value, codepage)
                elif att_id == ATT_ATTACH_DATA:
                    current["data"] = value
                elif att_id == ATT_ATTACHMENT:
                    current.update(_attachment_props(_mapi_props(value, codepage)))
            elif level == LVL_MESSAGE and att_id == ATT_BODY:
                content.body_text = _string8(value, codepage)
            elif level == LVL_MESSAGE and att_id == ATT_MAPI_PROPS:
                props = _mapi_props(value, codepage)
                body = props.get(PR_BODY)
                if isinstance(body, str) and body.strip():
                    content.body_text = body
                html = props.get(PR_BODY_HTML)
                if isinstance(html, bytes):
                    html = decode_bytes(html, meta_charset(html) or codepage)[0]
                if isinstance(html, str) and html.strip():
                    content.body_html = html
    except _Truncated:
        content.problems.append("truncated")
    except (struct.error, IndexError, ValueError):
        content.problems.append("unreadable")
    for number, attachment in enumerate(attachments, start=1):
        name = str(attachment.get("long_name") or attachment.get("title") or "").strip()
        raw = attachment.get("data")
        content.files.append(
            TnefFile(
                name=name or f"attachment-{number}",
                data=raw if isinstance(raw, bytes) else b"",
                mime_type=str(attachment.get("mime") or ""),
            )
        )
    return content


def _string8(value: bytes, codepage: str) -> str:
    return decode_bytes(value.split(b"\x00", 1)[0], codepage)[0]


def _attachment_props(props: dict[int, object]) -> dict[str, object]:
    found: dict[str, object] = {}
    for key, prop in (
        ("long_name", PR_ATTACH_LONG_FILENAME),
        ("title", PR_ATTACH_FILENAME),
        ("display", PR_DISPLAY_NAME),
        ("mime", PR_ATTACH_MIME_TAG),
    ):
        value = props.get(prop)
        if isinstance(value, str) and value.strip():
            found[key] = value.strip()
    if "title" not in found and "display" in found:
        found["title"] = found["display"]
    data = props.get(PR_ATTACH_DATA)
    if isinstance(data, bytes):
        found["data"] = data
    return found


def _mapi_props(buf: bytes, codepage: str) -> dict[int, object]:
    """MAPI properties by id; values of string types decoded, binary kept as bytes."""
    props: dict[int, object] = {}
    (count,) = struct.unpack_from("<I", buf, 0)
    pos = 4
    for _ in range(min(count, 10_000)):
        if pos + 4 > len(buf):
            raise _Truncated
        prop_type, prop_id = struct.unpack_from("<HH", buf, pos)
        pos += 4
        if prop_id >= 0x8000:  # named property: GUID, kind, then an id or a name
            pos += 16
            (kind,) = struct.unpack_from("<I", buf, pos)
            pos += 4
            if kind == 0:
                pos += 4
            else:
                (name_len,) = struct.unpack_from("<I", buf, pos)
                pos += 4 + _padded(name_len)
        base = prop_type & ~MV_FLAG
        multi = bool(prop_type & MV_FLAG)
        values: list[object] = []
        if base in _VARIABLE:
            (n_values,) = struct.unpack_from("<I", buf, pos)
            pos += 4
            for _ in range(min(n_values, 10_000)):
                (size,) = struct.unpack_from("<I", buf, pos)
                pos += 4
                raw = buf[pos : pos + size]
                if len(raw) < size:
                    raise _Truncated
                pos += _padded(size)
                values.append(_variable_value(base, raw, codepage))
        elif base in _FIXED_SIZES:
            n_values = 1
            if multi:
                (n_values,) = struct.unpack_from("<I", buf, pos)
                pos += 4
            pos += _FIXED_SIZES[base] * min(n_values, 10_000)
            values.append(None)
        else:
            raise ValueError(f"unknown MAPI type {prop_type:#x}")
        if values:
            props[prop_id] = values[0]
    return props


def _variable_value(base: int, raw: bytes, codepage: str) -> object:
    if base == PT_UNICODE:
        return raw.decode("utf-16-le", errors="replace").split("\x00", 1)[0]
    if base == PT_STRING8:
        return _string8(raw, codepage)
    if base == PT_OBJECT:
        return raw[16:]  # an IID, then the object's bytes
    return raw


def _padded(size: int) -> int:
    return (size + 3) & ~3
