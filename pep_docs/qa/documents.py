"""Reading a PEP for checking: the one door every checked or reported file comes through.

A PEP is read from its JSON, or from a returned Word or PDF form by the extractor, so `check`
and `report` never need to know what kind of file they were given.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pep_docs.errors import DocumentError

# The first bytes of returned forms, which the extractor reads.
_FORMS = (b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
# The first bytes of other files people are likely to hand us instead.
_SIGNATURES = ((b"{\\rtf", "a rich-text (.rtf) file"),)


def load_document(path: str | Path) -> dict[str, Any]:
    """The PEP held in a file, as a JSON-shaped dict.

    Raises `DocumentError` with a one-line reason (and the file and line for broken JSON) when
    the file cannot be read as a PEP.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"cannot read the file: {exc.strerror}", where=str(path)) from exc
    if raw.lstrip()[:8].startswith(_FORMS):
        from pep_docs.extractors.sandbox import extract_untrusted

        return extract_untrusted(raw, where=str(path)).data
    kind = _kind(path, raw)
    if kind is not None:
        raise DocumentError(
            f"this is {kind}, not a PEP form or PEP JSON",
            where=str(path),
            hint="send the PEP as the Word or PDF form, or as JSON",
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"is not UTF-8 text (byte {exc.start}); a PEP JSON file is UTF-8", where=str(path)
        ) from exc
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DocumentError(
            f"is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            where=f"{path}:{exc.lineno}",
        ) from exc
    if not isinstance(document, dict):
        raise DocumentError(
            f"holds a JSON {type(document).__name__}, not a PEP (a JSON object)", where=str(path)
        )
    return document


def _kind(path: Path, raw: bytes) -> str | None:
    """What a non-JSON file is, or None when it may be JSON."""
    for signature, kind in _SIGNATURES:
        if raw.startswith(signature):
            return kind
    suffix = path.suffix.lower()
    if suffix in ("", ".json"):
        return None
    if raw.lstrip()[:1] in (b"{", b"["):
        return None
    return f"a {suffix} file"
