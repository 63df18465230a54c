"""Domain errors carry a code and parameters; adapters translate them for the user."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, code: str | None = None, /, **params: Any) -> None:
        self.code = code or type(self).code
        self.params = params
        super().__init__(self.code, params)

    def __str__(self) -> str:
        from core.i18n import translate_error

        return translate_error(self, "en")


class ValidationFailed(DomainError):
    """A value a user typed or imported is wrong; `field` names it."""

    code = "invalid"


class NotFound(DomainError):
    code = "not_found"


class AccessDenied(DomainError):
    code = "access_denied"


class DuplicateFound(DomainError):
    code = "duplicate"


class ConcurrentUpdate(DomainError):
    code = "concurrent_update"


class InvitationInvalid(DomainError):
    code = "invitation_invalid"


class ImportFailed(DomainError):
    """A whole file was refused; `problems` lists (line, field, message) for every bad row."""

    code = "import_failed"
