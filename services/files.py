"""Content-addressed file storage: every file is kept once, under its SHA-256.

    stored = await store_file(data, original_name="рахунок.pdf", mime_type="application/pdf")
    link = await attach_file(stored.id, deal_id=deal.id, added_by_id=employee.id)
    data = await open_file(stored)

A file lives at `<files_dir>/<sha[:2]>/<sha[2:]>` (files_dir: `settings.files_path`, i.e.
CRM_FILES_DIR or `<data_dir>/files`, unless given). Storing the same bytes again returns the
existing `StoredFile`; the first name and MIME type stay. Bytes reach the disk before the row
that points at them commits; a file written by a transaction that later rolls back stays on
disk unreferenced, and is reused when the same bytes come again.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from pathlib import Path

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

import services.i18n_extra_mail  # noqa: F401  (the texts of the codes raised here)
from core.config import get_settings
from core.errors import NotFound, ValidationFailed
from models import FileLink, StoredFile

_INLINE_WRITE_LIMIT = 256 * 1024  # smaller files are written without leaving the event loop


def files_root(files_dir: Path | str | None = None) -> Path:
    return Path(files_dir) if files_dir else get_settings().files_path


def file_path(sha256: str, files_dir: Path | str | None = None) -> Path:
    """Where the bytes with this SHA-256 live."""
    return files_root(files_dir) / sha256[:2] / sha256[2:]


_made_dirs: set[Path] = set()


def write_once(path: Path, data: bytes) -> None:
    """Put bytes at `path` unless they are there already (blocking).

    Written in place with an exclusive create, which costs a fifth of a write-and-rename: no
    record points at the file before its bytes are complete (the row commits afterwards), and a
    partial file left by a crash has the wrong size, so the next store replaces it atomically.
    """
    parent = path.parent
    if parent not in _made_dirs:
        parent.mkdir(parents=True, exist_ok=True)
        _made_dirs.add(parent)
    try:
        with path.open("xb") as handle:
            handle.write(data)
        return
    except FileExistsError:
        if path.stat().st_size == len(data):
            return
    handle_fd, tmp_name = tempfile.mkstemp(dir=parent, prefix=".tmp-")
    try:
        with os.fdopen(handle_fd, "wb") as tmp:
            tmp.write(data)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


async def write_file(path: Path, data: bytes) -> None:
    """Put bytes at `path` once (atomically); big files are written off the event loop."""
    if len(data) <= _INLINE_WRITE_LIMIT:
        write_once(path, data)
    else:
        await asyncio.to_thread(write_once, path, data)


async def store_file(
    data: bytes,
    *,
    original_name: str,
    mime_type: str,
    files_dir: Path | str | None = None,
) -> StoredFile:
    """Keep `data` once (deduplicated by SHA-256) and return its record."""
    sha256 = hashlib.sha256(data).hexdigest()
    await write_file(file_path(sha256, files_dir), data)
    existing = await StoredFile.get_or_none(sha256=sha256)
    if existing is not None:
        return existing
    name = (original_name or "file").strip()[:500] or "file"
    mime = (mime_type or "application/octet-stream").strip()[:200]
    try:
        async with in_transaction():  # a savepoint when called inside a transaction
            return await StoredFile.create(
                sha256=sha256, original_name=name, mime_type=mime, size=len(data)
            )
    except IntegrityError:  # stored meanwhile by someone else
        return await StoredFile.get(sha256=sha256)


async def open_file(stored: StoredFile, *, files_dir: Path | str | None = None) -> bytes:
    """The bytes of a stored file; `NotFound` when they are missing from the disk."""
    path = file_path(stored.sha256, files_dir)
    try:
        if stored.size <= _INLINE_WRITE_LIMIT:
            return path.read_bytes()
        return await asyncio.to_thread(path.read_bytes)
    except FileNotFoundError:
        raise NotFound("not_found", what="file") from None


async def attach_file(
    stored_file_id: int,
    *,
    deal_id: int | None = None,
    interaction_id: int | None = None,
    claim_id: int | None = None,
    partner_id: int | None = None,
    kind_id: int | None = None,
    name: str = "",
    added_by_id: int | None = None,
) -> FileLink:
    """Show a stored file on a deal, interaction, claim, partner or deal kind (at least one).

    Attaching the same file to the same place again returns the existing link.
    """
    targets = {
        "deal_id": deal_id,
        "interaction_id": interaction_id,
        "claim_id": claim_id,
        "partner_id": partner_id,
        "kind_id": kind_id,
    }
    if all(value is None for value in targets.values()):
        raise ValidationFailed("invalid", field="file", reason="no_target")
    stored = await StoredFile.get_or_none(id=stored_file_id)
    if stored is None:
        raise NotFound("not_found", what="file")
    existing = await FileLink.filter(file_id=stored_file_id, **targets).first()
    if existing is not None:
        return existing
    shown = (name or stored.original_name).strip()[:500]
    return await FileLink.create(
        file_id=stored_file_id, name=shown, added_by_id=added_by_id, **targets
    )
