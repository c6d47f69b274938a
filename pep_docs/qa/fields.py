"""Where the checker, the cohort report and next-term find things in a PEP.

The pointers live in `fields.json` beside this module, as data; `load_fields` checks that every
one of them names a field of the PEP schema, so a renamed field fails loudly here rather than
quietly matching nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from pep_docs.errors import SchemaError
from pep_docs.schema import load_model

FIELDS_PATH = Path(__file__).resolve().parent / "fields.json"


def _pointers(value: Any) -> Iterator[str]:
    if isinstance(value, str) and value.startswith("/"):
        yield value
    elif isinstance(value, Mapping):
        for key, sub in value.items():
            if not key.startswith("$"):
                yield from _pointers(sub)
    elif isinstance(value, list):
        for sub in value:
            yield from _pointers(sub)


@cache
def load_fields() -> Mapping[str, Any]:
    """The field map, checked against the PEP schema."""
    data = json.loads(FIELDS_PATH.read_text(encoding="utf-8"))
    model = load_model()
    missing = [p for p in _pointers(data) if not model.has(p)]
    for group in ("targets", "attendees"):
        array = data[group]["array"]
        missing += [
            f"{array}/*/{name}"
            for key, name in data[group].items()
            if key != "array" and not model.has(f"{array}/*/{name}")
        ]
    if missing:
        raise SchemaError(
            f"fields.json names fields the PEP schema does not have: {', '.join(missing)}",
            where=str(FIELDS_PATH),
        )
    return data
