"""Mailboxes the ingest workers watch: add, list, remove, and the password each one uses.

A password is never stored in the database: a mailbox names either an environment variable
(`password_env`) or a file that only its owner can read (`password_file`, mode 0600 or
stricter), and `resolve_password` reads it when a worker connects.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from tortoise.transactions import in_transaction

import services.i18n_extra_mail  # noqa: F401  (the texts of the codes raised here)
from core.errors import DuplicateFound, NotFound, ValidationFailed
from models import Mailbox, MailboxFolderState
from models.base import MailSecurity

DEFAULT_PORTS = {MailSecurity.TLS: 993, MailSecurity.STARTTLS: 143, MailSecurity.PLAIN: 143}
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_AFTER_COMMIT = re.compile(r"^(|seen|move:.+)$")


@dataclass(frozen=True)
class FolderProgress:
    folder: str
    uidvalidity: int
    last_uid: int


@dataclass(frozen=True)
class MailboxRow:
    """A mailbox as the CLI and the workers see it (no secrets)."""

    id: int
    name: str
    host: str
    port: int
    security: str
    username: str
    password_env: str | None
    password_file: str | None
    folders: tuple[str, ...]
    plus_pattern: str
    after_commit: str
    active: bool
    progress: tuple[FolderProgress, ...] = ()

    @property
    def password_source(self) -> str:
        return f"env:{self.password_env}" if self.password_env else f"file:{self.password_file}"


def _invalid(field: str, reason: str, **params: object) -> ValidationFailed:
    return ValidationFailed("invalid", field=field, reason=reason, **params)


def _row(mailbox: Mailbox, progress: tuple[FolderProgress, ...] = ()) -> MailboxRow:
    return MailboxRow(
        id=mailbox.id,
        name=mailbox.name,
        host=mailbox.host,
        port=mailbox.port,
        security=MailSecurity(mailbox.security).value,
        username=mailbox.username,
        password_env=mailbox.password_env,
        password_file=mailbox.password_file,
        folders=tuple(mailbox.folders or ["INBOX"]),
        plus_pattern=mailbox.plus_pattern,
        after_commit=mailbox.after_commit,
        active=mailbox.active,
        progress=progress,
    )


def check_plus_pattern(pattern: str) -> str:
    """'sales+{tag}@firm.ua' (or empty): exactly one {tag} in the local part."""
    pattern = (pattern or "").strip().lower()
    if not pattern:
        return ""
    local, at, domain = pattern.partition("@")
    if not at or not domain or local.count("{tag}") != 1 or "{tag}" in domain:
        raise _invalid("plus_pattern", "bad_plus_pattern")
    return pattern


def _check_folders(folders: list[str] | tuple[str, ...] | None) -> list[str]:
    cleaned = [f.strip() for f in (folders or ["INBOX"]) if f and f.strip()]
    if not cleaned:
        raise _invalid("folders", "required")
    return list(dict.fromkeys(cleaned))


async def add_mailbox(
    name: str,
    *,
    host: str,
    username: str,
    port: int | None = None,
    security: MailSecurity | str = MailSecurity.TLS,
    password_env: str | None = None,
    password_file: str | Path | None = None,
    folders: list[str] | tuple[str, ...] | None = None,
    plus_pattern: str = "",
    after_commit: str = "",
) -> MailboxRow:
    """Register a mailbox; its password comes from exactly one of an env variable or a file."""
    name = (name or "").strip()
    if not name:
        raise _invalid("mailbox", "required")
    if not (host or "").strip():
        raise _invalid("host", "required")
    if not (username or "").strip():
        raise _invalid("username", "required")
    try:
        security = MailSecurity(security)
    except ValueError:
        choices = ", ".join(s.value for s in MailSecurity)
        raise _invalid("security", "bad_choice", choices=choices) from None
    port = port or DEFAULT_PORTS[security]
    if not 0 < int(port) < 65536:
        raise _invalid("port", "bad_port")
    if bool(password_env) == bool(password_file):
        raise _invalid("password", "password_source")
    if password_env and not _ENV_NAME.match(password_env):
        raise _invalid("password", "bad_env_name", name=password_env)
    if password_file:
        password_file = _checked_password_file(password_file)
    if not _AFTER_COMMIT.match(after_commit or ""):
        raise _invalid("after_commit", "bad_after_commit")
    plus_pattern = check_plus_pattern(plus_pattern)
    if await Mailbox.filter(name=name).exists():
        raise DuplicateFound("duplicate", existing=name)
    mailbox = await Mailbox.create(
        name=name,
        host=host.strip(),
        port=int(port),
        security=security,
        username=username.strip(),
        password_env=password_env or None,
        password_file=str(password_file) if password_file else None,
        folders=_check_folders(folders),
        plus_pattern=plus_pattern,
        after_commit=after_commit or "",
        active=True,
    )
    return _row(mailbox)


async def get_mailbox(name: str) -> MailboxRow:
    mailbox = await Mailbox.get_or_none(name=name)
    if mailbox is None:
        raise NotFound("not_found", what="mailbox")
    return _row(mailbox, await _progress(mailbox.id))


async def list_mailboxes(*, active_only: bool = False) -> list[MailboxRow]:
    query = Mailbox.all()
    if active_only:
        query = query.filter(active=True)
    mailboxes = await query.order_by("name")
    states = await MailboxFolderState.filter(mailbox_id__in=[m.id for m in mailboxes]).order_by(
        "folder", "-uidvalidity"
    )
    by_mailbox: dict[int, list[FolderProgress]] = {}
    for state in states:
        by_mailbox.setdefault(state.mailbox_id, []).append(
            FolderProgress(state.folder, state.uidvalidity, state.last_uid)
        )
    return [_row(m, tuple(by_mailbox.get(m.id, ()))) for m in mailboxes]


async def _progress(mailbox_id: int) -> tuple[FolderProgress, ...]:
    states = await MailboxFolderState.filter(mailbox_id=mailbox_id).order_by(
        "folder", "-uidvalidity"
    )
    return tuple(FolderProgress(s.folder, s.uidvalidity, s.last_uid) for s in states)


async def remove_mailbox(name: str) -> None:
    """Forget a mailbox and its progress; the mail already taken in stays."""
    mailbox = await Mailbox.get_or_none(name=name)
    if mailbox is None:
        raise NotFound("not_found", what="mailbox")
    async with in_transaction():
        await MailboxFolderState.filter(mailbox_id=mailbox.id).delete()
        await mailbox.delete()


def _checked_password_file(value: str | Path) -> str:
    path = Path(value).expanduser().resolve()
    _check_password_file(path)
    return str(path)


def _check_password_file(path: Path) -> os.stat_result:
    try:
        info = path.stat()
    except OSError:
        raise _invalid("password", "file_unreadable", path=str(path)) from None
    if not stat.S_ISREG(info.st_mode):
        raise _invalid("password", "file_unreadable", path=str(path))
    if info.st_mode & 0o077:
        raise _invalid("password", "file_too_open", path=str(path), mode=oct(info.st_mode & 0o777))
    if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
        raise _invalid("password", "file_not_owned", path=str(path))
    return info


def resolve_password(mailbox: MailboxRow) -> str:
    """The mailbox's password from its env variable or its owner-only file."""
    if mailbox.password_env:
        value = os.environ.get(mailbox.password_env)
        if not value:
            raise _invalid("password", "env_missing", name=mailbox.password_env)
        return value
    if mailbox.password_file:
        path = Path(mailbox.password_file)
        _check_password_file(path)
        try:
            value = path.read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError):
            raise _invalid("password", "file_unreadable", path=str(path)) from None
        if not value:
            raise _invalid("password", "file_unreadable", path=str(path))
        return value
    raise _invalid("password", "password_source")
