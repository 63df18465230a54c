"""Content-addressed storage: one copy per content, under files_dir/ab/cdef..., shown where
it is attached."""

from __future__ import annotations

import hashlib

import pytest

from core.errors import NotFound, ValidationFailed
from models import FileLink, StoredFile
from services.files import attach_file, file_path, open_file, store_file
from tests.factories import load_default_kinds, make_deal, make_partner


async def test_same_bytes_are_stored_once_under_their_hash(db, files_dir):
    data = "Рахунок 145".encode() * 100
    first = await store_file(
        data, original_name="рахунок.pdf", mime_type="application/pdf", files_dir=files_dir
    )
    again = await store_file(
        data, original_name="copy.pdf", mime_type="application/pdf", files_dir=files_dir
    )

    sha = hashlib.sha256(data).hexdigest()
    assert again.id == first.id
    assert (first.sha256, first.size, first.original_name) == (sha, len(data), "рахунок.pdf")
    assert file_path(sha, files_dir) == files_dir / sha[:2] / sha[2:]
    assert (files_dir / sha[:2] / sha[2:]).read_bytes() == data
    assert await StoredFile.all().count() == 1
    assert await open_file(first, files_dir=files_dir) == data
    assert not list((files_dir / sha[:2]).glob(".tmp-*"))


async def test_big_files_round_trip(db, files_dir):
    data = bytes(range(256)) * 4096  # 1 MiB: written off the event loop
    stored = await store_file(
        data, original_name="scan.tif", mime_type="image/tiff", files_dir=files_dir
    )
    assert await open_file(stored, files_dir=files_dir) == data


async def test_a_missing_file_is_reported_not_crashed(db, files_dir):
    stored = await store_file(
        b"x", original_name="a.txt", mime_type="text/plain", files_dir=files_dir
    )
    file_path(stored.sha256, files_dir).unlink()
    with pytest.raises(NotFound):
        await open_file(stored, files_dir=files_dir)


async def test_attach_once_per_place_and_only_somewhere(db, files_dir):
    await load_default_kinds()
    deal = await make_deal()
    partner = await make_partner()
    stored = await store_file(
        b"spec", original_name="spec.xlsx", mime_type="application/x", files_dir=files_dir
    )

    link = await attach_file(stored.id, deal_id=deal.id)
    assert (await attach_file(stored.id, deal_id=deal.id)).id == link.id
    other = await attach_file(stored.id, partner_id=partner.id, name="Специфікація")

    assert link.name == "spec.xlsx" and other.name == "Специфікація"
    assert await FileLink.filter(file_id=stored.id).count() == 2
    with pytest.raises(ValidationFailed) as error:
        await attach_file(stored.id)
    assert error.value.params["reason"] == "no_target"
    with pytest.raises(NotFound):
        await attach_file(stored.id + 999, deal_id=deal.id)
