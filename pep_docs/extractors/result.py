"""The shape of an extraction, and the pipeline every reader feeds.

A reader (Word content controls, Word by labels, PDF fields, PDF page layout) only finds raw
text for pointers: `Reading(pointer, raw, how)`. `Assembler` does the rest the same way for
every reader: drops placeholders and unchanged guidance, coerces to the schema's types, keeps
what cannot be coerced as typed with a warning, drops empty table rows, and builds the document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from pep_docs.extractors.coerce import coerce
from pep_docs.schema import Field, PepModel, load_model, set_pointer

# How sure a reading is: read from the field itself, from a carrier that survives round trips,
# or from the page by position and label.
CONFIDENCE = {
    "content-control": "exact",
    "data-binding": "exact",
    "acroform": "exact",
    "layout": "medium",
}


# At most this many notes (Word comments and footnotes, a PDF's sticky notes...) and this many
# pictures are listed from one file: an untrusted file may carry any number. Past it, reading
# stops and says so.
MAX_NOTES = 100


@dataclass(frozen=True)
class Reading:
    """Raw text a reader found for a concrete pointer, and how."""

    pointer: str
    raw: str
    how: str
    where: str = ""


@dataclass(frozen=True)
class Warning_:
    pointer: str | None
    label: str | None
    message: str

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)


@dataclass(frozen=True)
class Unmapped:
    """Text a person typed that belongs to no field, and where it was found."""

    text: str
    where: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class Extraction:
    """What was read from one returned file."""

    data: dict[str, Any]
    form: dict[str, Any]
    fields: dict[str, dict[str, Any]]
    warnings: list[Warning_] = field(default_factory=list)
    unmapped: list[Unmapped] = field(default_factory=list)
    source: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "data": self.data,
            "form": self.form,
            "fields": self.fields,
            "warnings": [w.to_dict() for w in self.warnings],
            "unmapped": [u.to_dict() for u in self.unmapped],
            "source": self.source,
        }


# Word's own prompts in an empty control.
_PROMPTS = frozenset(
    ("", "click or tap here to enter text.", "choose an item.", "click or tap to enter a date.",
     "dd/mm/yyyy")
)  # fmt: skip


@lru_cache(maxsize=1 << 14)  # guidance and labels come back in every return
def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


class Assembler:
    """Builds an `Extraction` from readings, the same way for every reader."""

    def __init__(
        self, model: PepModel | None = None, section_titles: Mapping[str, str] | None = None
    ):
        self.model = model or load_model()
        self.titles = section_titles or {}
        self.data: dict[str, Any] = {}
        self.fields: dict[str, dict[str, Any]] = {}
        self.warnings: list[Warning_] = []
        self.unmapped: list[Unmapped] = []

    def is_placeholder(self, f: Field, raw: str) -> bool:
        """Guidance left as it was printed, or a word processor's own prompt, is not an answer.

        (A field's title is not in this list: "On track" is both a title and an answer.)"""
        text = _norm(raw).strip("[]")
        return text in _PROMPTS or text == _norm(f.description)

    def add(self, reading: Reading) -> None:
        f = self.model.get(reading.pointer)
        if not isinstance(f, Field):  # no node at all, or a group or table
            self.unmapped.append(Unmapped(reading.raw, reading.where or reading.pointer))
            return
        if self.is_placeholder(f, reading.raw):
            return
        result = coerce(f, reading.raw)
        set_pointer(self.data, reading.pointer, result.value)
        self.fields[reading.pointer] = {
            "how": reading.how,
            "confidence": CONFIDENCE.get(reading.how, "low") if not result.warning else "low",
        }
        if result.warning:
            self.warn(reading.pointer, result.warning)

    def add_all(self, readings: Iterable[Reading]) -> None:
        for reading in readings:
            self.add(reading)

    def describe(self, pointer: str) -> str:
        """Where a field is, in the words of this authority's form."""
        return self.model.describe(pointer, self.titles)

    def warn(self, pointer: str | None, message: str) -> None:
        label = self.describe(pointer) if pointer else None
        self.warnings.append(Warning_(pointer, label, f"{label}: {message}" if label else message))

    def finish(self, form: dict[str, Any], source: dict[str, Any]) -> Extraction:
        _drop_empty_rows(self.data)
        for key in ("authority", "phase", "term", "child_id"):
            if form.get(key) and key not in self.data:
                self.data[key] = form[key]
        if form.get("schema_id") and "$schema" not in self.data:
            self.data["$schema"] = form["schema_id"]
        ordered = _in_form_order(self.data, self.model)
        return Extraction(
            data=ordered,
            form=form,
            fields=dict(sorted(self.fields.items(), key=lambda kv: self.model.rank(kv[0]))),
            warnings=self.warnings,
            unmapped=self.unmapped,
            source=source,
        )


def _drop_empty_rows(node: Any) -> None:
    if isinstance(node, dict):
        for value in node.values():
            _drop_empty_rows(value)
    elif isinstance(node, list):
        node[:] = [item for item in node if item not in (None, {}, [])]
        for item in node:
            _drop_empty_rows(item)


def _in_form_order(data: dict[str, Any], model: PepModel) -> dict[str, Any]:
    return {k: data[k] for k in sorted(data, key=lambda key: model.rank(f"/{key}"))}


def form_summary(identity: dict[str, str], data: dict) -> dict:
    """The identity read back, and whether the data inside agrees with it."""
    keys = ("authority", "phase", "term", "child_id")
    disagree = [k for k in keys if identity.get(k) and data.get(k) and identity[k] != data[k]]
    return {**identity, "matches_data": not disagree, "disagreements": disagree}
