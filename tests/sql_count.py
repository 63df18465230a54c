"""Count the SQL a piece of code runs: for tests that check a command needs no more queries for
many records than for a few.

    seen = count_queries(monkeypatch)
    await import_master_data("partners", data)
    assert len(seen) <= 12
"""

from __future__ import annotations

import pytest
from tortoise import connections


def count_queries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A list that gets every SQL statement the default connection's client classes run
    (outside and inside transactions) until the test ends."""
    seen: list[str] = []
    client = type(connections.get("default"))
    classes = {client}
    pending = [client]
    while pending:
        for sub in pending.pop().__subclasses__():
            if sub not in classes:
                classes.add(sub)
                pending.append(sub)
    for cls in classes:
        for name in ("execute_query", "execute_query_dict", "execute_insert", "execute_many"):
            original = cls.__dict__.get(name)
            if original is None:
                continue

            def counted(self, sql, *args, _original=original, **kwargs):
                seen.append(sql)
                return _original(self, sql, *args, **kwargs)

            monkeypatch.setattr(cls, name, counted)
    return seen
