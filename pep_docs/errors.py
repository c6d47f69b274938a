"""The one error hierarchy of pep-docs.

Every error says what went wrong, where (file, page, section, field: as a JSON Pointer and as
the label a person sees on the form) and what to do next.
"""

from __future__ import annotations


class PepDocsError(Exception):
    """Root of every error pep-docs raises on purpose."""

    def __init__(
        self,
        message: str,
        *,
        pointer: str | None = None,
        label: str | None = None,
        where: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.pointer = pointer
        self.label = label
        self.where = where
        self.hint = hint

    def __str__(self) -> str:
        parts = []
        if self.where:
            parts.append(f"{self.where}: ")
        if self.label:
            parts.append(f"{self.label}: ")
        parts.append(self.message)
        if self.hint:
            parts.append(f" ({self.hint})")
        return "".join(parts)

    def to_dict(self) -> dict[str, str | None]:
        return {
            "error": type(self).__name__,
            "message": self.message,
            "pointer": self.pointer,
            "label": self.label,
            "where": self.where,
            "hint": self.hint,
        }


class SchemaError(PepDocsError):
    """The PEP schema itself is broken or a pointer does not exist in it."""


class ProfileError(PepDocsError):
    """An authority profile is missing or does not follow the profile schema."""


class DocumentError(PepDocsError):
    """A PEP document (JSON) cannot be read at all: not JSON, not an object."""


class TemplateError(PepDocsError):
    """A form template cannot be rendered."""


class FormReadError(PepDocsError):
    """A returned file cannot be read as a PEP form."""


class UnsafeInputError(FormReadError):
    """A returned file breaks a safety limit (size, entries, nesting, DOCTYPE)."""
