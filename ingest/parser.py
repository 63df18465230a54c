"""Real mail to a `ParsedMessage` (pure: bytes in, data out; stdlib only, safe in a subprocess).

The standard `email` package (policy=default) splits the MIME tree; everything it is known to
get wrong on real mail is done here from the raw header values instead:

* headers: RFC 2047 encoded-words (split multi-byte characters, unknown or mislabelled charsets,
  encoded-words inside quoted strings), raw 8-bit bytes (UTF-8 or detected Cyrillic);
* parameters: RFC 2231 (`filename*=`, continuations, missing charsets), raw 8-bit names;
* bodies: declared charsets as hints with detection (`ingest.charsets`), multipart/alternative
  with plain text preferred and HTML turned into text, forwarded message/rfc822 parts, TNEF;
* reports: DSN (multipart/report, message/delivery-status) and MTA failure notices become a
  bounce with the original Message-IDs; read receipts, feedback reports and RFC 3834 / typical
  auto-reply subjects (uk, ru, en) mark the message as automatic.

`parse_message` never raises: a message it cannot read comes back with `parse_error` set.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import email
import email.utils
import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import HeaderRegistry
from email.message import Message
from functools import lru_cache

from ingest.charsets import decode_bytes
from ingest.htmltext import html_to_text, meta_charset
from ingest.tnef import is_tnef, read_tnef

DEFAULT_MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
MAX_TEXT_CHARS = 200_000
MAX_HEADER_CHARS = 2_000
MAX_REFERENCES = 50
MAX_DEPTH = 30
MAX_PARTS = 1_000

# Headers kept (decoded, shortened) with each message.
KEPT_HEADERS = (
    "message-id",
    "in-reply-to",
    "references",
    "from",
    "sender",
    "reply-to",
    "to",
    "cc",
    "delivered-to",
    "x-original-to",
    "return-path",
    "date",
    "subject",
    "content-type",
    "auto-submitted",
    "precedence",
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
    "x-failed-recipients",
    "list-id",
    "x-mailer",
    "user-agent",
    "x-ms-tnef-correlator",
)
RECIPIENT_HEADERS = ("delivered-to", "x-original-to", "envelope-to", "x-envelope-to", "resent-to")


class _MemoHeaderRegistry(HeaderRegistry):
    """policy.default's header registry, memoised: the parser asks for the same Content-Type
    many times per part, and header objects are immutable, so they can be shared."""

    def __init__(self) -> None:
        super().__init__()
        self._memo = lru_cache(maxsize=4096)(super().__call__)

    def __call__(self, name: str, value: str):  # type: ignore[no-untyped-def]
        return self._memo(name, value)


# policy=default semantics (the same header classes), 3-4x faster on multipart mail.
PARSE_POLICY = policy.default.clone(header_factory=_MemoHeaderRegistry())


@dataclass
class Address:
    name: str
    address: str


@dataclass
class ParsedAttachment:
    name: str
    mime_type: str
    size: int
    data: bytes | None
    inline: bool = False
    skipped: str = ""  # "" (stored), "too_large" (over the limit), "empty"
    source: str = "part"  # part, tnef (unpacked from winmail.dat), forward (a forwarded .eml)
    content_id: str = ""


@dataclass
class BounceInfo:
    kind: str  # failed, delayed, delivered, unknown
    recipients: list[str] = field(default_factory=list)
    status: str = ""
    diagnostic: str = ""


@dataclass
class ParsedMessage:
    raw_sha256: str
    size: int
    message_id: str | None = None
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    sender: Address | None = None
    reply_to: list[Address] = field(default_factory=list)
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    envelope_recipients: list[str] = field(default_factory=list)
    subject: str = ""
    sent_at: dt.datetime | None = None
    text: str = ""
    text_from_html: bool = False
    attachments: list[ParsedAttachment] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    is_bounce: bool = False
    bounce: BounceInfo | None = None
    original_message_ids: list[str] = field(default_factory=list)
    is_auto: bool = False
    auto_reason: str = ""
    forwarded: list[dict[str, str]] = field(default_factory=list)
    tnef_files: list[dict[str, object]] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    parse_error: str = ""

    @property
    def from_address(self) -> str:
        return self.sender.address if self.sender else ""

    @property
    def from_name(self) -> str:
        return self.sender.name if self.sender else ""

    @property
    def all_recipients(self) -> list[str]:
        seen: list[str] = []
        for address in [a.address for a in self.to + self.cc] + self.envelope_recipients:
            if address and address not in seen:
                seen.append(address)
        return seen


# --- headers -----------------------------------------------------------------------------------

_FOLD = re.compile(r"\r?\n(?=[ \t])|\r(?=[ \t])")
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*?)\?=")
_WSP = re.compile(r"[ \t\r\n]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _header_bytes(value: str) -> bytes:
    """The original bytes of a header value that `email` read with surrogateescape."""
    try:
        return value.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape")


def _raw_to_text(value: str) -> str:
    """Undo surrogate escapes: raw 8-bit header bytes become text (UTF-8 or detected)."""
    if value.isascii():
        return value
    data = _header_bytes(value)
    if data.isascii():
        return value
    return decode_bytes(data, None)[0]


def _decode_word_bytes(encoding: str, payload: str) -> bytes:
    if encoding in "bB":
        cleaned = re.sub(r"[^A-Za-z0-9+/]", "", payload)
        cleaned += "=" * (-len(cleaned) % 4)
        try:
            return base64.b64decode(cleaned)
        except (binascii.Error, ValueError):
            return b""
    return binascii.a2b_qp(payload.encode("utf-8", "surrogateescape"), header=True)


def decode_words(value: str) -> str:
    """RFC 2047 decoding that survives real mail (see the module docstring)."""
    value = _raw_to_text(value)
    if "=?" not in value:
        return value
    pieces: list[tuple[str | None, bytes | str]] = []  # (charset or None for literal, data)
    pos = 0
    for match in _ENCODED_WORD.finditer(value):
        literal = value[pos : match.start()]
        if literal:
            pieces.append((None, literal))
        charset = match.group(1).split("*", 1)[0]
        pieces.append((charset.lower(), _decode_word_bytes(match.group(2), match.group(3))))
        pos = match.end()
    if pos < len(value):
        pieces.append((None, value[pos:]))
    # Whitespace between two encoded-words is dropped; adjacent words in the same charset are
    # joined before decoding, so a character split across words survives.
    merged: list[tuple[str | None, list[bytes] | str]] = []
    for index, (charset, data) in enumerate(pieces):
        if charset is None and isinstance(data, str) and not data.strip():
            before = pieces[index - 1][0] if index > 0 else None
            after = pieces[index + 1][0] if index + 1 < len(pieces) else None
            if before is not None and after is not None:
                continue
        if charset is None:
            merged.append((None, str(data)))
        elif merged and merged[-1][0] == charset:
            chunks = merged[-1][1]
            assert isinstance(chunks, list) and isinstance(data, bytes)
            chunks.append(data)
        else:
            assert isinstance(data, bytes)
            merged.append((charset, [data]))
    out = []
    for charset, data in merged:
        if charset is None or isinstance(data, str):
            out.append(str(data))
        else:
            out.append(decode_bytes(b"".join(data), charset)[0])
    return "".join(out)


def clean_text(value: str, limit: int | None = None) -> str:
    """Safe for any database: no NUL or control characters, no lone surrogates."""
    if not value.isascii():
        value = value.encode("utf-8", "replace").decode("utf-8")
    value = _CONTROL.sub("", value) if _CONTROL.search(value) else value
    if limit is not None and len(value) > limit:
        value = value[:limit]
    return value


def _unfold(value: str) -> str:
    return _FOLD.sub("", value)


def header_text(value: str, limit: int = MAX_HEADER_CHARS) -> str:
    """A raw header value as one clean line of text."""
    text = decode_words(_unfold(value[: limit * 8]))
    return clean_text(_WSP.sub(" ", text).strip(), limit)


_ID = re.compile(r"<([^<>]*)>")


def _clean_id(token: str) -> str | None:
    """A usable Message-ID, or None (an empty, tiny or absurdly long one is no identity; the
    byte limit keeps it inside a PostgreSQL index entry)."""
    token = re.sub(r"\s+", "", token)
    if not token or len(token.encode("utf-8", "replace")) > 900:
        return None
    if "@" not in token and len(token) < 3:
        return None
    return f"<{token}>"


def parse_ids(value: str) -> list[str]:
    """Message-IDs from Message-ID / In-Reply-To / References, bracketed, in order."""
    value = _raw_to_text(_unfold(value))
    found = [_clean_id(m) for m in _ID.findall(value)]
    if not found:
        found = [_clean_id(t) for t in value.split() if "@" in t]
    ids: list[str] = []
    for item in found:
        if item and item not in ids:
            ids.append(clean_text(item))
    return ids


def parse_addresses(values: list[str]) -> list[Address]:
    decoded = [_raw_to_text(_unfold(v)) for v in values]
    result: list[Address] = []
    try:
        pairs = email.utils.getaddresses(decoded)
    except Exception:
        pairs = []
    for name, address in pairs:
        address = clean_text(address.strip().strip("<>").strip().lower(), 320)
        if not address:
            continue
        if "=?" in address or " " in address:
            continue
        result.append(Address(name=header_text(name, 300).strip('"').strip(), address=address))
    return result


def parse_date(value: str) -> dt.datetime | None:
    try:
        moment = email.utils.parsedate_to_datetime(_raw_to_text(_unfold(value)).strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    if not 1980 <= moment.year <= 2100:
        return None
    return moment.astimezone(dt.UTC)


# --- parameters (Content-Type, Content-Disposition) ------------------------------------------

_RFC2231_SECTION = re.compile(r"^(?P<name>[^*]+)(?:\*(?P<index>\d+))?(?P<ext>\*)?$")


def _split_params(value: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    escaped = False
    for ch in value:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\" and quoted:
            current.append(ch)
            escaped = True
        elif ch == '"':
            quoted = not quoted
            current.append(ch)
        elif ch == ";" and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _param_value_text(raw: str) -> str:
    """A plain (non-RFC 2231) parameter value: raw 8-bit or misused encoded-words decoded."""
    return decode_words(_unquote(raw))


def parse_params(value: str) -> tuple[str, dict[str, str]]:
    """('text/plain', {'charset': 'utf-8', 'name': ...}) from a raw header value."""
    value = _unfold(value)
    parts = _split_params(value)
    main = re.sub(r"\(.*?\)", "", parts[0]).strip().lower()
    plain: dict[str, str] = {}
    sections: dict[str, dict[int, tuple[bool, str]]] = {}
    for part in parts[1:]:
        if "=" not in part:
            continue
        name, _, raw = part.partition("=")
        name = name.strip().lower()
        match = _RFC2231_SECTION.match(name)
        if match and (match.group("index") is not None or match.group("ext")):
            index = int(match.group("index") or 0)
            sections.setdefault(match.group("name"), {})[index] = (
                bool(match.group("ext")),
                _unquote(raw) if not match.group("ext") else raw.strip().strip('"'),
            )
        elif name and name not in plain:
            plain[name] = _param_value_text(raw)
    for name, pieces in sections.items():
        data = b""
        charset = None
        for index in sorted(pieces):
            extended, text = pieces[index]
            if extended:
                if index == sorted(pieces)[0] and text.count("'") >= 2:
                    charset, _, text = text.split("'", 2)
                data += re.sub(
                    rb"%([0-9A-Fa-f]{2})",
                    lambda m: bytes([int(m.group(1), 16)]),
                    _header_bytes(text),
                )
            else:
                data += _header_bytes(text)
        decoded = decode_bytes(data, charset or None)[0]
        if "=?" in decoded:
            decoded = decode_words(decoded)
        plain[name] = decoded  # an RFC 2231 value wins over a plain one
    return main, plain


# --- the MIME tree -----------------------------------------------------------------------------


def _raw_header(part: Message, name: str) -> str | None:
    for key, value in part.raw_items():  # type: ignore[attr-defined]
        if key.lower() == name:
            return value
    return None


def _raw_headers(part: Message, name: str) -> list[str]:
    return [v for k, v in part.raw_items() if k.lower() == name]  # type: ignore[attr-defined]


def _content_type(part: Message) -> tuple[str, dict[str, str]]:
    raw = _raw_header(part, "content-type")
    if raw is None:
        return part.get_default_type(), {}
    ctype, params = parse_params(raw)
    if "/" not in ctype or " " in ctype:
        ctype = "text/plain" if not ctype or "text" in ctype else "application/octet-stream"
    return ctype, params


def _disposition(part: Message) -> tuple[str, dict[str, str]]:
    raw = _raw_header(part, "content-disposition")
    if raw is None:
        return "", {}
    return parse_params(raw)


def _filename(cparams: dict[str, str], dparams: dict[str, str]) -> str:
    for value in (dparams.get("filename"), cparams.get("name")):
        if value and value.strip():
            return value
    return ""


def safe_filename(name: str, mime_type: str, number: int) -> str:
    name = clean_text(name).replace("\\", "/").rsplit("/", 1)[-1].strip().strip(".").strip()
    name = _WSP.sub(" ", name)
    if not name:
        ext = mimetypes.guess_extension(mime_type) or ".bin"
        name = f"attachment-{number}{ext}"
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:190] + dot + ext[:9]) if dot and len(ext) < 10 else name[:200]
    return name


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    if isinstance(payload, str):
        return _header_bytes(payload)
    return b""


@dataclass
class _Walk:
    max_attachment_bytes: int
    texts: list[str] = field(default_factory=list)
    html_used: bool = False
    attachments: list[ParsedAttachment] = field(default_factory=list)
    deferred_text_files: list[tuple[str, str]] = field(default_factory=list)
    dsn_fields: list[dict[str, str]] = field(default_factory=list)
    report_type: str = ""
    original_ids: list[str] = field(default_factory=list)
    forwarded: list[dict[str, str]] = field(default_factory=list)
    tnef_files: list[dict[str, object]] = field(default_factory=list)
    mdn: bool = False
    arf: bool = False
    parts: int = 0
    defects: list[str] = field(default_factory=list)

    def add_attachment(
        self,
        name: str,
        mime_type: str,
        data: bytes,
        *,
        inline: bool = False,
        source: str = "part",
        content_id: str = "",
    ) -> None:
        number = len(self.attachments) + 1
        filename = safe_filename(name, mime_type, number)
        skipped = ""
        if not data:
            skipped = "empty"
        elif len(data) > self.max_attachment_bytes:
            skipped = "too_large"
        self.attachments.append(
            ParsedAttachment(
                name=filename,
                mime_type=clean_text(mime_type, 200) or "application/octet-stream",
                size=len(data),
                data=None if skipped else data,
                inline=inline,
                skipped=skipped,
                source=source,
                content_id=clean_text(content_id, 200),
            )
        )


def _text_of(part: Message, ctype: str, params: dict[str, str]) -> str:
    data = _payload_bytes(part)
    charset = params.get("charset")
    if ctype == "text/html":
        charset = charset or meta_charset(data)
        return html_to_text(decode_bytes(data, charset)[0])
    return decode_bytes(data, charset)[0]


def _is_body_text(ctype: str, disposition: str, filename: str) -> bool:
    return ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename


def _walk(part: Message, walk: _Walk, depth: int, *, text_wanted: bool = True) -> None:
    walk.parts += 1
    if depth > MAX_DEPTH or walk.parts > MAX_PARTS:
        if "too_deep" not in walk.defects:
            walk.defects.append("too_deep")
        return
    ctype, cparams = _content_type(part)
    disposition, dparams = _disposition(part)
    filename = _filename(cparams, dparams)
    maintype = ctype.split("/", 1)[0]
    payload = part.get_payload()

    if ctype in ("message/rfc822", "message/global"):
        _walk_message_part(part, walk, depth, payload, filename)
        return
    if maintype == "multipart" and isinstance(payload, list):
        if ctype == "multipart/report":
            walk.report_type = cparams.get("report-type", "").lower()
        if ctype == "multipart/alternative":
            _walk_alternative(payload, walk, depth, text_wanted=text_wanted)
        else:
            for sub in payload:
                if isinstance(sub, Message):
                    _walk(sub, walk, depth + 1, text_wanted=text_wanted)
        return
    if ctype in ("message/delivery-status", "message/global-delivery-status"):
        walk.dsn_fields.extend(_delivery_status(part))
        return
    if ctype == "message/disposition-notification":
        walk.mdn = True
        return
    if ctype == "message/feedback-report":
        walk.arf = True
        return
    if ctype in ("text/rfc822-headers", "text/global-headers"):
        headers = email.message_from_bytes(_payload_bytes(part), policy=PARSE_POLICY)
        walk.original_ids.extend(parse_ids(_raw_header(headers, "message-id") or ""))
        return
    if ctype == "application/ms-tnef" or filename.lower() == "winmail.dat":
        _walk_tnef(part, walk, filename or "winmail.dat", ctype)
        return
    if maintype == "multipart":  # the email package found no parts
        subs = _split_multipart(_payload_bytes(part), cparams.get("boundary", ""))
        if subs:
            walk.defects.append("boundary_repaired")
            if ctype == "multipart/alternative":
                _walk_alternative(list(subs), walk, depth, text_wanted=text_wanted)
            else:
                for sub in subs:
                    _walk(sub, walk, depth + 1, text_wanted=text_wanted)
            return
        walk.defects.append("multipart_without_parts")
        if text_wanted:
            walk.texts.append(decode_bytes(_payload_bytes(part), cparams.get("charset"))[0])
        return
    if _is_body_text(ctype, disposition, filename):
        if text_wanted:
            text = _text_of(part, ctype, cparams)
            if ctype == "text/html":
                walk.html_used = True
            if text.strip():
                walk.texts.append(text)
        return
    data = _payload_bytes(part)
    content_id = (_raw_header(part, "content-id") or "").strip()
    inline = disposition == "inline" or (disposition == "" and bool(content_id))
    if maintype == "text" and ctype in ("text/plain", "text/html") and disposition != "attachment":
        # a named inline text part: keep the file, and use it as the body if there is none
        walk.deferred_text_files.append((ctype, _text_of(part, ctype, cparams)))
    walk.add_attachment(
        filename, ctype, data, inline=inline and maintype == "image", content_id=content_id
    )


def _split_multipart(body: bytes, boundary: str) -> list[Message]:
    """Split a multipart body by hand when the email package could not (an unquoted boundary
    with '=' in it, say)."""
    if not boundary or len(boundary) > 200:
        return []
    delimiter = b"--" + _header_bytes(boundary.strip())
    pieces = re.split(rb"(?m)^" + re.escape(delimiter) + rb"(--)?[ \t]*\r?$", body)
    if len(pieces) < 3:
        return []
    parts: list[Message] = []
    # re.split with one group: [preamble, close?, part, close?, part, ...]
    for index in range(2, len(pieces), 2):
        if pieces[index - 1]:  # the closing delimiter: what follows is the epilogue
            break
        chunk = (
            pieces[index].lstrip(b"\r\n")
            if pieces[index].startswith(b"\r\n\r\n")
            else (pieces[index].removeprefix(b"\r\n").removeprefix(b"\n"))
        )
        parts.append(email.message_from_bytes(chunk, policy=PARSE_POLICY))
    return parts


def _walk_alternative(payload: list[object], walk: _Walk, depth: int, *, text_wanted: bool) -> None:
    subs = [p for p in payload if isinstance(p, Message)]
    chosen: Message | None = None
    for sub in subs:  # plain text is preferred, unless it is empty
        ctype, _ = _content_type(sub)
        if ctype == "text/plain" and _text_of(sub, ctype, _content_type(sub)[1]).strip():
            chosen = sub
            break
    if chosen is None:
        for sub in reversed(subs):
            ctype, _ = _content_type(sub)
            if ctype == "text/html" or ctype.startswith("multipart/"):
                chosen = sub
                break
    if chosen is None and subs:
        chosen = subs[0]
    for sub in subs:
        if sub is chosen:
            _walk(sub, walk, depth + 1, text_wanted=text_wanted)
        else:
            _collect_real_attachments(sub, walk, depth + 1)


def _collect_real_attachments(part: Message, walk: _Walk, depth: int) -> None:
    """Attachments hiding in the alternative that was not chosen (inline images are skipped)."""
    if depth > MAX_DEPTH:
        return
    payload = part.get_payload()
    ctype, cparams = _content_type(part)
    if ctype.startswith("multipart/") and isinstance(payload, list):
        for sub in payload:
            if isinstance(sub, Message):
                _collect_real_attachments(sub, walk, depth + 1)
        return
    disposition, dparams = _disposition(part)
    if disposition == "attachment":
        walk.add_attachment(_filename(cparams, dparams), ctype, _payload_bytes(part))


def _walk_message_part(
    part: Message, walk: _Walk, depth: int, payload: object, filename: str
) -> None:
    inner: Message | None = None
    encoding = (_raw_header(part, "content-transfer-encoding") or "").strip().lower()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        inner = payload[0]
        if encoding in ("base64", "quoted-printable"):  # not allowed, but sent anyway
            encoded = inner.get_payload()
            if isinstance(encoded, str) and not inner.keys():
                data = _header_bytes(encoded)
                data = (
                    binascii.a2b_base64(re.sub(rb"[^A-Za-z0-9+/=]", b"", data) or b"")
                    if encoding == "base64"
                    else binascii.a2b_qp(data)
                )
                inner = email.message_from_bytes(data, policy=PARSE_POLICY)
    else:
        data = _payload_bytes(part)
        if data.strip():
            inner = email.message_from_bytes(data, policy=PARSE_POLICY)
    if inner is None:
        return
    ids = parse_ids(_raw_header(inner, "message-id") or "")
    in_report = bool(walk.report_type) or bool(walk.dsn_fields)
    if in_report:
        walk.original_ids.extend(ids)
        return
    summary = {
        "from": header_text(_raw_header(inner, "from") or ""),
        "to": header_text(_raw_header(inner, "to") or ""),
        "date": header_text(_raw_header(inner, "date") or ""),
        "subject": header_text(_raw_header(inner, "subject") or ""),
        "message_id": ids[0] if ids else "",
    }
    walk.forwarded.append(summary)
    walk.original_ids.extend(ids)
    inner_walk = _Walk(max_attachment_bytes=walk.max_attachment_bytes)
    inner_walk.parts = walk.parts
    _walk(inner, inner_walk, depth + 1)
    walk.parts = inner_walk.parts
    head = "\n".join(
        f"{label}: {summary[key]}"
        for label, key in (("From", "from"), ("Date", "date"), ("Subject", "subject"), ("To", "to"))
        if summary[key]
    )
    body = "\n\n".join(t.strip() for t in inner_walk.texts if t.strip())
    walk.texts.append(f"---------- Forwarded message ----------\n{head}\n\n{body}".strip())
    for attachment in inner_walk.attachments:
        walk.attachments.append(attachment)
    walk.tnef_files.extend(inner_walk.tnef_files)
    walk.defects.extend(d for d in inner_walk.defects if d not in walk.defects)
    try:
        raw_inner = inner.as_bytes(policy=policy.compat32)
    except Exception:
        raw_inner = b""
    if raw_inner:
        name = filename or f"{summary['subject'] or 'message'}.eml"
        walk.add_attachment(name, "message/rfc822", raw_inner, source="forward")


def _walk_tnef(part: Message, walk: _Walk, filename: str, ctype: str) -> None:
    data = _payload_bytes(part)
    if not is_tnef(data):
        walk.add_attachment(filename, ctype, data)
        return
    content = read_tnef(data)
    for problem in content.problems:
        walk.defects.append(f"tnef_{problem}")
    for tnef_file in content.files:
        walk.tnef_files.append({"name": clean_text(tnef_file.name, 300), "size": tnef_file.size})
        mime = tnef_file.mime_type or mimetypes.guess_type(tnef_file.name)[0]
        walk.add_attachment(
            tnef_file.name, mime or "application/octet-stream", tnef_file.data, source="tnef"
        )
    if not walk.texts and content.body_text.strip():
        walk.texts.append(content.body_text)
    elif not walk.texts and content.body_html.strip():
        walk.texts.append(html_to_text(content.body_html))
        walk.html_used = True
    if not content.files:
        walk.add_attachment(filename, "application/ms-tnef", data)


def _delivery_status(part: Message) -> list[dict[str, str]]:
    """Per-recipient fields of a message/delivery-status part."""
    blocks: list[dict[str, str]] = []
    payload = part.get_payload()
    if isinstance(payload, list):
        for block in payload:
            if isinstance(block, Message):
                blocks.append(
                    {k.lower(): header_text(v, 500) for k, v in block.raw_items()}  # type: ignore[attr-defined]
                )
    else:
        text = decode_bytes(_payload_bytes(part), None)[0]
        for chunk in re.split(r"\r?\n\s*\r?\n", text):
            fields = {}
            for line in _unfold(chunk).splitlines():
                key, sep, value = line.partition(":")
                if sep:
                    fields[key.strip().lower()] = clean_text(value.strip(), 500)
            if fields:
                blocks.append(fields)
    return blocks


# --- bounces and automatic mail --------------------------------------------------------------

_BOUNCE_SENDERS = re.compile(
    r"^(mailer-daemon|mailer_daemon|mailerdaemon|postmaster|mail-daemon|mdaemon|"
    r"mail\.?delivery\.?system|microsoftexchange[0-9a-f]*)@",
    re.IGNORECASE,
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery status notification|mail delivery fail|delivery failure|"
    r"failure notice|returned mail|returned to sender|non[- ]?delivery|delivery has failed|"
    r"could not be delivered|message not delivered|mail delivery system|delivery notification|"
    r"warning: message .* delayed|delayed mail|delivery delayed|"
    r"недоставлен|не доставлен|не було доставлено|не может быть доставлено|"
    r"не може бути доставлен|доставка не удалась|доставка не вдалася",
    re.IGNORECASE,
)
_DELAY_SUBJECT = re.compile(r"delay|warning|затрим|задерж", re.IGNORECASE)
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:\[[^\]]*\]\s*)?(?:"
    r"auto(?:matic)?[ -]?(?:reply|response|answer|antwort)|autoreply|auto:|"
    r"out of (?:the )?office|away from (?:the|my) office|on vacation|vacation reply|"
    r"i am (?:currently )?(?:out|away|on leave)|abwesenheit|automatyczna odpowied|"
    r"r[ée]ponse automatique|risposta automatica|respuesta autom[áa]tica|"
    r"автовідповідь|автоматична відповідь|автоматична відповiдь|не в офісі|поза офісом|"
    r"я (?:у|в) відпустці|у відпустці|відсутн(?:ій|я) (?:на роботі|в офісі|до )|"
    r"автоответ|автоматический ответ|нет на месте|вне офиса|не в офисе|я в отпуске|"
    r"в отпуске|отсутству(?:ю|ет) (?:на работе|в офисе|до )|отсутствие на работе"
    r")",
    re.IGNORECASE,
)
_BODY_MESSAGE_ID = re.compile(r"^\s*message-id:\s*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)


def _classify(message: ParsedMessage, walk: _Walk, top: Message) -> None:
    report = walk.report_type
    if report in ("delivery-status", "global-delivery-status") or walk.dsn_fields:
        actions = [f.get("action", "").lower() for f in walk.dsn_fields if f.get("action")]
        if any(a.startswith("failed") for a in actions):
            kind = "failed"
        elif any(a.startswith("delayed") for a in actions):
            kind = "delayed"
        elif actions:
            kind = "delivered"
        else:
            kind = "delayed" if _DELAY_SUBJECT.search(message.subject) else "failed"
        recipients = [
            f.get("final-recipient", f.get("original-recipient", "")).split(";")[-1].strip()
            for f in walk.dsn_fields
            if f.get("final-recipient") or f.get("original-recipient")
        ]
        status = next((f["status"] for f in walk.dsn_fields if f.get("status")), "")
        diagnostic = next(
            (f["diagnostic-code"] for f in walk.dsn_fields if f.get("diagnostic-code")), ""
        )
        message.is_bounce = True
        message.bounce = BounceInfo(kind, [r for r in recipients if r], status, diagnostic)
    elif report == "disposition-notification" or walk.mdn:
        message.is_auto, message.auto_reason = True, "read_receipt"
    elif report == "feedback-report" or walk.arf:
        message.is_auto, message.auto_reason = True, "feedback_report"
    else:
        failed_to = _raw_header(top, "x-failed-recipients")
        from_daemon = bool(_BOUNCE_SENDERS.match(message.from_address))
        subject_says = bool(_BOUNCE_SUBJECT.search(message.subject))
        null_sender = (_raw_header(top, "return-path") or "").strip() in ("<>", "")
        if (
            failed_to
            or (from_daemon and (subject_says or walk.forwarded))
            or (subject_says and null_sender and _raw_header(top, "return-path") is not None)
        ):
            kind = "delayed" if _DELAY_SUBJECT.search(message.subject) else "failed"
            recipients = [a.address for a in parse_addresses([failed_to])] if failed_to else []
            message.is_bounce = True
            message.bounce = BounceInfo(kind, recipients)
    if message.is_bounce:
        ids = list(walk.original_ids)
        ids.extend(message.in_reply_to)
        ids.extend(message.references)
        ids.extend(parse_ids(" ".join(_BODY_MESSAGE_ID.findall(message.text))))
        own = message.message_id
        message.original_message_ids = [i for i in dict.fromkeys(ids) if i != own][:20]
        message.forwarded = []
        return
    if message.is_auto:
        return
    auto_submitted = (_raw_header(top, "auto-submitted") or "").strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        message.is_auto, message.auto_reason = True, f"auto-submitted: {auto_submitted[:40]}"
        return
    for name in ("x-autoreply", "x-autorespond", "x-autoresponder", "x-mail-autoreply"):
        value = _raw_header(top, name)
        if value is not None and value.strip().lower() not in ("no", "false", "0"):
            message.is_auto, message.auto_reason = True, name
            return
    if (_raw_header(top, "x-autogenerated") or "").strip().lower() == "reply":
        message.is_auto, message.auto_reason = True, "x-autogenerated"
        return
    precedence = _raw_header(top, "precedence") or _raw_header(top, "x-precedence") or ""
    if precedence.strip().lower() in ("bulk", "junk", "list", "auto_reply"):
        message.is_auto, message.auto_reason = True, f"precedence: {precedence.strip().lower()}"
        return
    if _AUTO_SUBJECT.search(message.subject):
        message.is_auto, message.auto_reason = True, "subject"


def _unique(attachments: list[ParsedAttachment]) -> list[ParsedAttachment]:
    """The same file twice in one message (an original and its forward) is listed once."""
    seen: set[tuple[str, int, str]] = set()
    result = []
    for attachment in attachments:
        digest = hashlib.sha256(attachment.data).hexdigest() if attachment.data else ""
        key = (attachment.name, attachment.size, digest)
        if key not in seen:
            seen.add(key)
            result.append(attachment)
    return result


# --- entry points ------------------------------------------------------------------------------


def _prepare(raw: bytes) -> bytes:
    data = raw.removeprefix(b"\xef\xbb\xbf").lstrip(b"\r\n\t ")
    if data.startswith(b"From ") and b"\n" in data[:1000]:  # an mbox envelope line
        data = data.split(b"\n", 1)[1]
    if b"\n" not in data[:20000] and b"\r" in data:  # old Mac line endings
        data = data.replace(b"\r", b"\n")
    return data


def parse_message(
    raw: bytes, *, max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES
) -> ParsedMessage:
    """Everything the CRM keeps from one message; never raises."""
    message = ParsedMessage(raw_sha256=hashlib.sha256(raw).hexdigest(), size=len(raw))
    try:
        _parse_into(message, raw, max_attachment_bytes)
    except Exception as error:  # a message must never stop the worker
        message.parse_error = clean_text(f"{type(error).__name__}: {error}", 500)
    return message


def parse_many(raws: list[bytes], max_attachment_bytes: int) -> list[ParsedMessage]:
    """A batch, for one round trip to a process pool."""
    return [parse_message(raw, max_attachment_bytes=max_attachment_bytes) for raw in raws]


def _parse_into(message: ParsedMessage, raw: bytes, max_attachment_bytes: int) -> None:
    top = email.message_from_bytes(_prepare(raw), policy=PARSE_POLICY)
    headers: dict[str, str] = {}
    for key, value in top.raw_items():  # type: ignore[attr-defined]
        name = key.lower()
        if name in KEPT_HEADERS and name not in headers:
            headers[name] = header_text(value)
    message.headers = headers

    ids = parse_ids(_raw_header(top, "message-id") or "")
    message.message_id = ids[0] if ids else None
    message.in_reply_to = parse_ids(_raw_header(top, "in-reply-to") or "")[:MAX_REFERENCES]
    references = parse_ids(" ".join(_raw_headers(top, "references")))
    if len(references) > MAX_REFERENCES:
        references = references[:1] + references[-(MAX_REFERENCES - 1) :]
    message.references = references
    senders = parse_addresses(_raw_headers(top, "from")) or parse_addresses(
        _raw_headers(top, "sender")
    )
    message.sender = senders[0] if senders else None
    message.reply_to = parse_addresses(_raw_headers(top, "reply-to"))
    message.to = parse_addresses(_raw_headers(top, "to"))
    message.cc = parse_addresses(_raw_headers(top, "cc"))
    envelope: list[str] = []
    for name in RECIPIENT_HEADERS:
        for address in parse_addresses(_raw_headers(top, name)):
            if address.address not in envelope:
                envelope.append(address.address)
    message.envelope_recipients = envelope
    message.subject = header_text(_raw_header(top, "subject") or "")
    message.sent_at = parse_date(_raw_header(top, "date") or "")

    walk = _Walk(max_attachment_bytes=max_attachment_bytes)
    _walk(top, walk, 0)
    texts = [t.strip("\r\n") for t in walk.texts if t.strip()]
    if not texts and walk.deferred_text_files:
        ctype, text = walk.deferred_text_files[0]
        texts = [text]
        walk.html_used = ctype == "text/html"
    text = "\n\n".join(texts).replace("\r\n", "\n").replace("\r", "\n")
    message.text = clean_text(text.strip(), MAX_TEXT_CHARS)
    message.text_from_html = walk.html_used
    message.attachments = _unique(walk.attachments)
    message.forwarded = walk.forwarded
    message.tnef_files = walk.tnef_files
    message.defects = walk.defects + [type(d).__name__ for d in getattr(top, "defects", [])[:20]]
    _classify(message, walk, top)
