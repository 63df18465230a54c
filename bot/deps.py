"""The services handlers and getters call, passed as dispatcher workflow data `services`.

Handlers declare `services: Services` and call `services.employees.accept_invitation(...)`;
tests may build the app with other implementations. A feature that needs another service
module adds a field here.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Services:
    employees: ModuleType
    settings_prefs: ModuleType

    @classmethod
    def default(cls) -> Services:
        from services import employees, settings_prefs

        return cls(employees=employees, settings_prefs=settings_prefs)
