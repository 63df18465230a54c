"""For the tests of the partners service's bulk commands, which must refuse a bad row with the
error the single command gives for it (plus the row's index).

    bulk = await refused_alike(
        partners.create_contact(**arguments),
        partners.bulk_create_contacts([good, ContactInput(**arguments)]),
    )
    assert bulk.params["row"] == 1
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import pytest

from core.errors import DomainError


async def refused_alike(single: Awaitable[Any], bulk: Awaitable[Any]) -> DomainError:
    """Run the single command, then the bulk one: both must raise, the same error class, code
    and parameters (the bulk error's own `row` and `errors` aside). Returns the bulk error."""
    with pytest.raises(DomainError) as one:
        await single
    with pytest.raises(DomainError) as many:
        await bulk
    assert type(many.value) is type(one.value)
    params = {k: v for k, v in many.value.params.items() if k not in ("row", "errors")}
    assert (many.value.code, params) == (one.value.code, one.value.params)
    return many.value
