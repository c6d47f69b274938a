"""Files the service keeps: uploads and packs, under random names inside the data folder.

A stored name is 32 random hex characters and nothing else, so no name typed by a person ever
becomes part of a path, and `path_of` refuses anything else.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import unicodedata
from pathlib import Path

from pep_docs.errors import PepDocsError
from pep_docs.settings import Settings, ensure_data_dir

_STORED = re.compile(r"[0-9a-f]{32}(\.[a-z]{2,4})?")
AREAS = ("uploads", "packs", "tmp")


def path_of(settings: Settings, area: str, stored_name: str) -> Path:
    if area not in AREAS or not _STORED.fullmatch(stored_name):
        raise PepDocsError(f"not a stored file name: {stored_name!r}", where=area)
    return settings.data_dir / area / stored_name


def new_name(suffix: str = "") -> str:
    return secrets.token_hex(16) + suffix


def store(settings: Settings, area: str, data: bytes, suffix: str = "") -> str:
    """Write `data` under a new random name (mode 0600); return the name."""
    ensure_data_dir(settings)
    name = new_name(suffix)
    target = path_of(settings, area, name)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return name


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def display_name(name: str | None, limit: int = 120) -> str:
    """A file name as people may see it: no folders, no control or direction characters.

    Bidirectional overrides (U+202E and friends) can make `evil‮fdp.exe` look like `evil.exe.pdf`,
    so every format character is dropped, not only the C0 controls.
    """
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(ch for ch in name if unicodedata.category(ch)[0] not in {"C"})
    kept = re.sub(r"\s+", " ", kept).strip(" .")
    if len(kept) > limit:
        stem, dot, ext = kept.rpartition(".")
        kept = (
            (stem[: limit - len(ext) - 2] + "…" + dot + ext)
            if dot and len(ext) <= 5
            else (kept[: limit - 1] + "…")
        )
    return kept or "unnamed file"
