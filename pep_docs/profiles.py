"""Authority profiles: folders of data that hold everything that differs between authorities.

Folders named in `PEP_DOCS_AUTHORITIES` (separated by the OS path separator) are searched before
the profiles shipped in `pep_docs/authorities/`, so an authority can override or add a profile
without touching the code. Every profile is validated by `schemas/authority-profile.schema.json`.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from pep_docs.errors import ProfileError
from pep_docs.schema import SCHEMA_DIR

BUILTIN_DIR = Path(__file__).resolve().parent / "authorities"
PROFILE_SCHEMA_PATH = SCHEMA_DIR / "authority-profile.schema.json"
ENV_PATH = "PEP_DOCS_AUTHORITIES"


@dataclass(frozen=True)
class Term:
    term: str
    start: date
    end: date
    closures: tuple[tuple[str, date, date], ...]


@dataclass(frozen=True)
class Profile:
    """One authority's profile, read from `folder/profile.json`."""

    folder: Path
    data: Mapping[str, Any]

    @property
    def slug(self) -> str:
        return self.data["slug"]

    @property
    def name(self) -> str:
        return self.data["name"]

    @property
    def virtual_school(self) -> str:
        return self.data["virtual_school"]

    @property
    def colours(self) -> Mapping[str, str]:
        return self.data["branding"]["colours"]

    @property
    def font(self) -> str:
        return self.data["branding"]["font"]

    @property
    def section_titles(self) -> Mapping[str, str]:
        """The authority's own names of sections, by section key."""
        return self.data.get("sections", {})

    @property
    def qa(self) -> Mapping[str, Any]:
        return self.data["qa"]

    @property
    def levels(self) -> list[str]:
        return list(self.data["qa"]["levels"])

    @property
    def meeting(self) -> Mapping[str, Any]:
        return self.data["meeting"]

    @property
    def deadlines(self) -> Mapping[str, Any]:
        return self.data["deadlines"]

    def section_title(self, key: str, default: str) -> str:
        return self.section_titles.get(key, default)

    def terms(self) -> list[Term]:
        return [
            Term(
                t["term"],
                date.fromisoformat(t["start"]),
                date.fromisoformat(t["end"]),
                tuple(
                    (c["name"], date.fromisoformat(c["start"]), date.fromisoformat(c["end"]))
                    for c in t["closures"]
                ),
            )
            for t in self.data["term_dates"]
        ]

    def term(self, term_id: str) -> Term | None:
        return next((t for t in self.terms() if t.term == term_id), None)

    def logo_png(self, size: int = 240) -> bytes:
        """The authority's logo as PNG: `logo.png` in the folder, or one drawn from the profile."""
        own = self.folder / "logo.png"
        if own.is_file():
            return own.read_bytes()
        return _draw_logo(
            self.data["branding"]["logo"]["initials"],
            self.data["branding"]["logo"]["shape"],
            self.colours["primary"],
            self.colours["accent"],
            size,
        )


@cache
def _draw_logo(initials: str, shape: str, colour: str, accent: str, size: int) -> bytes:
    # Drawn, never copied: real council logos are not ours to ship.
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    pad = size // 16
    box = (pad, pad, size - pad, size - pad)
    if shape == "circle":
        draw.ellipse(box, fill=colour, outline=accent, width=max(2, size // 30))
    elif shape == "square":
        draw.rounded_rectangle(box, radius=size // 8, fill=colour, outline=accent, width=size // 30)
    else:  # shield
        w = size - 2 * pad
        points = [
            (pad, pad),
            (size - pad, pad),
            (size - pad, pad + w * 0.55),
            (size / 2, size - pad),
            (pad, pad + w * 0.55),
        ]
        draw.polygon(points, fill=colour, outline=accent, width=max(2, size // 30))
    try:
        font = ImageFont.truetype(_font_file(bold=True), size=int(size * 0.36))
    except OSError:
        font = ImageFont.load_default()
    draw.text((size / 2, size * 0.47), initials, fill="white", font=font, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _font_file(bold: bool = False) -> str:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return f"/usr/share/fonts/truetype/dejavu/{name}"


def search_path() -> list[Path]:
    """Folders searched for profiles, first match wins."""
    extra = [Path(p) for p in os.environ.get(ENV_PATH, "").split(os.pathsep) if p]
    return [*extra, BUILTIN_DIR]


@cache
def _profile_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(PROFILE_SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def read_profile(folder: Path) -> Profile:
    """Read and validate one profile folder."""
    path = folder / "profile.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"cannot read the profile: {exc.strerror}", where=str(path)) from exc
    except ValueError as exc:
        raise ProfileError(f"the profile is not valid JSON: {exc}", where=str(path)) from exc
    errors = sorted(_profile_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        pointer = "/" + "/".join(str(p) for p in first.absolute_path)
        raise ProfileError(
            f"{len(errors)} problem(s); first at {pointer}: {first.message}",
            where=str(path),
            pointer=pointer,
            hint="see schemas/authority-profile.schema.json",
        )
    if data["slug"] != folder.name:
        raise ProfileError(
            f"slug {data['slug']!r} does not match the folder name {folder.name!r}",
            where=str(path),
            pointer="/slug",
        )
    return Profile(folder=folder, data=data)


def available() -> list[str]:
    """Slugs of every profile on the search path."""
    slugs: set[str] = set()
    for base in search_path():
        if base.is_dir():
            slugs.update(p.name for p in base.iterdir() if (p / "profile.json").is_file())
    return sorted(slugs)


# A slug names a folder; it often comes from an uploaded form, so it may never be a path.
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


def _find(slug: str) -> Path | None:
    if not isinstance(slug, str) or not _SLUG.fullmatch(slug):
        return None
    for base in search_path():
        candidate = base / slug
        if (candidate / "profile.json").is_file():
            return candidate
    return None


@cache
def _load_cached(folder: Path) -> Profile:
    profile = read_profile(folder)
    # Checked here, not when a PEP first reaches a broken criterion: a typo in an authority's
    # rules stops every command that loads the profile, naming the file and the criterion.
    from pep_docs.qa.rules import require_valid_criteria  # pep_docs.qa.rules imports this module

    require_valid_criteria(profile)
    return profile


def load_profile(slug: str) -> Profile:
    """The profile for an authority slug, searched on `search_path()`, validated by the profile
    schema and its QA rules checked (`pep_docs.qa.rules.criterion_problems`)."""
    folder = _find(slug)
    if folder is None:
        known = ", ".join(available()) or "none"
        raise ProfileError(
            f"no authority profile named {slug!r}",
            hint=f"known authorities: {known}; add a folder to {ENV_PATH}",
        )
    return _load_cached(folder.resolve())


def all_profiles() -> Iterator[Profile]:
    for slug in available():
        yield load_profile(slug)
