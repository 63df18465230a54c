"""A fresh install gets the shipped process kinds on start; an installation with its own kinds
is left alone (nothing reloaded, nothing overwritten)."""

from __future__ import annotations

from models import DealKind
from services.pipeline import ensure_default_pipelines, load_pipelines

OWN_KIND = """
kinds:
  - code: own_kind
    name_uk: Власний процес
    name_en: Own process
    mode: manual
    stages:
      - {code: first, name_uk: Перший, name_en: First}
      - {code: second, name_uk: Другий, name_en: Second}
"""


async def test_an_empty_database_gets_the_shipped_kinds(db):
    report = await ensure_default_pipelines()

    assert report is not None
    assert sorted(report.created) == ["simple_deal", "typical_sale"]
    assert await DealKind.filter(code="typical_sale").exists()
    assert await ensure_default_pipelines() is None  # the second start changes nothing
    assert await DealKind.all().count() == 2


async def test_a_database_with_its_own_kinds_is_left_alone(db):
    await load_pipelines(OWN_KIND)

    assert await ensure_default_pipelines() is None
    assert await DealKind.all().values_list("code", flat=True) == ["own_kind"]
