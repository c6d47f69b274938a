"""Reading a flattened PDF of our own form from its page layout (returns path 5).

A print-to-PDF or a flattened copy of the fillable form keeps the form's geometry: the same
labels at the same places, each answer drawn inside its box. The form's identity is printed on
every page (`Form ID`, `Page X of Y`, the child, child id, term and Virtual School in the footer;
the authority and phase in the title), so a print that dropped the metadata still says what it
is.

Reading: the blank form of that authority and phase (`pdf_layout.form_model`) gives blocks of
static text with their fields' boxes. Each block is found on the pages by its first run of
text, in order (a taller box above only moves it down; table rows past the ones every form
prints are taken while the page shows them); each box hangs from its label as found on the
page. Text inside a box is the field's answer. Every other piece of text that is not the form's
own goes to `unmapped` with its page and position; so do the notes a reader added to the copy
(`pdf_notes`), beside the box they are on, and text typed with a reader's text tool over an
unanswered box is its answer, as on the fillable form. Values are then typed as the schema
says by the same `Assembler` as every reader, with `how: "layout"` (confidence medium).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pep_docs.errors import FormReadError
from pep_docs.extractors.pdf_layout import MAX_TALL, BlockModel, FormModel, Slot, form_model
from pep_docs.extractors.pdf_notes import add_notes
from pep_docs.extractors.pdf_objects import Annotations, Place
from pep_docs.extractors.pdf_page import PageText, Segment
from pep_docs.extractors.result import Assembler, Extraction, Reading, Unmapped, form_summary
from pep_docs.profiles import all_profiles, load_profile
from pep_docs.render.pdf_layout import BOTTOM, PAGE_H
from pep_docs.schema import load_model
from pep_docs.validate import section_titles_for

LOOKAHEAD = 400  # segments searched for a block's first run
TOP_BAND = PAGE_H - 30  # the running header above this, the footer below FOOTER_BAND
FOOTER_BAND = 44.0
_FORM_ID = re.compile(r"Form ID ([0-9a-fA-F-]{8,64})")
_PAGE = re.compile(r"^Page (\d+) of (\d+)$")
_CHILD = re.compile(r"Child ID (\S+)")
_TERM = re.compile(r"Term (\S+)")
OVERFLOW = (
    "the text in this box runs on over the next box on the printed form, so it was not read "
    "(it is kept under unmapped); check it by hand"
)


@dataclass
class Placed:
    block: BlockModel
    page: int
    top: float  # the block's top on the page (PDF y)


def printed_identity(pages: list[PageText]) -> dict[str, str]:
    """The identity our form prints: authority and phase (title), form id, child id, term."""
    if not pages:
        return {}
    first = [s.text for s in pages[0].segments]
    bottom = [s.text for p in pages for s in p.segments if s.y1 < FOOTER_BAND]
    identity: dict[str, str] = {}
    for text in bottom:
        if found := _FORM_ID.search(text):
            identity.setdefault("form_id", found.group(1))
        if "Child ID" in text or "Term " in text:
            if found := _CHILD.search(text):
                identity.setdefault("child_id", found.group(1))
            if found := _TERM.search(text):
                identity.setdefault("term", found.group(1))
    for profile in all_profiles():
        if profile.name in first or any(profile.virtual_school in t for t in bottom):
            identity["authority"] = profile.slug
            break
    phase_field = load_model().node("/phase")
    for text in first:
        if text.startswith("Phase: "):
            label = text[len("Phase: ") :]
            for value, shown in getattr(phase_field, "choices", ()):
                if label == shown:
                    identity["phase"] = value
    return identity


def read_printed(pages: list[PageText], where: str, identity: dict[str, str]) -> Extraction:
    """Read a flattened PDF of our form (the identity says which form) from its layout."""
    authority, phase = identity.get("authority"), identity.get("phase")
    if not authority or not phase:
        raise FormReadError("this PDF is not a pep-docs PEP form", where=where)
    model = form_model(authority, phase)
    body = [s for p in pages for s in p.segments if FOOTER_BAND <= s.y1 <= TOP_BAND]
    furniture = [s for p in pages for s in p.segments if not FOOTER_BAND <= s.y1 <= TOP_BAND]
    placed, anchors, missing = place_blocks(model, body)
    titles = section_titles_for(authority)
    assembler = Assembler(load_model(), titles)
    regions = _regions(model, placed, body, anchors)
    taken: dict[int, list[Segment]] = {}
    for i, seg in enumerate(body):
        if i in anchors:
            continue
        home = _home(regions, seg)
        crossed = _crossed(regions, home, seg) if home is not None else []
        if crossed:
            # Drawn past its box over the next one (a reader that neither wraps nor shrinks):
            # whose text is whose cannot be told, so none of it is taken as an answer.
            assembler.unmapped.append(Unmapped(seg.text, seg.where()))
            for index in [home, *crossed]:
                assembler.warn(regions[index][0].pointer, OVERFLOW)
        elif home is not None:
            taken.setdefault(home, []).append(seg)
        elif not model.is_static(seg.text, seg.x0):
            assembler.unmapped.append(Unmapped(seg.text, seg.where()))
    for index, (slot, _page, x0, x1, _top, _bottom) in enumerate(regions):
        segs = taken.get(index, [])
        raw = _join(segs, slot, x1 - x0, model)
        if raw:
            assembler.add(Reading(slot.pointer, raw, "layout", segs[0].where()))
    school = load_profile(authority).virtual_school
    for seg in furniture:
        if not (_is_furniture(seg, model) or school in seg.text):
            assembler.unmapped.append(Unmapped(seg.text, seg.where()))
    for block in missing:
        for slot in block.slots:
            assembler.warn(
                slot.pointer,
                f"its label ('{block.runs[0].text}') was not found where the form prints it, so "
                "this box was not read; check it by hand",
            )
    notes = [note for page in pages for note in page.notes]
    places = note_places(regions, taken) if notes else []
    add_notes(assembler, Annotations(notes, places, any(p.notes_cut for p in pages)))
    form = {k: v for k, v in identity.items() if v}
    if not missing and "schema_id" not in form:
        # Every label and box of the current form is where it prints them: its layout.
        form["schema_id"] = load_model().id
    extraction = assembler.finish(
        form, {"kind": "pdf", "file": where, "layout": "pdf-form", "pages": len(pages)}
    )
    extraction.form = form_summary(form, extraction.data)
    return extraction


def place_blocks(
    model: FormModel, segs: list[Segment]
) -> tuple[list[Placed], dict[int, int], list[BlockModel]]:
    """Find each block of the form on the pages, in order, by its first run of text.

    Returns the placed blocks, the segments that are static runs of a placed block (index ->
    placed block index) and the blocks not found."""
    placed: list[Placed] = []
    anchors: dict[int, int] = {}
    missing: list[BlockModel] = []
    cursor = 0
    ended: set[str] = set()
    for block in model.blocks:
        if not block.runs:
            continue
        if block.optional and block.table in ended:
            continue
        anchor = block.runs[0]
        found = None
        j = cursor
        while j < len(segs) and j - cursor < LOOKAHEAD:
            s = segs[j]
            if s.text == anchor.text and abs(s.x0 - anchor.x0) <= 1.3 and j not in anchors:
                found = j
                break
            if (
                block.optional
                and model.is_static(s.text, s.x0)
                and not _repeated_header(s)
                and s.text not in model.inside.get(block.table, ())
            ):
                break  # the table has ended: the next static text is someone else's
            j += 1
        if found is None:
            if block.optional:
                ended.add(block.table or "")
            else:
                missing.append(block)
            continue
        s = segs[found]
        top = _baseline(s, anchor.size) + anchor.rel_y
        placed.append(Placed(block, s.page, top))
        anchors[found] = len(placed) - 1
        # The block's other runs: on the same page, near where the block says.
        for run in block.runs[1:]:
            want = top - run.rel_y
            for k in range(max(0, found - 40), min(len(segs), found + LOOKAHEAD)):
                t = segs[k]
                if t.page != s.page or abs(_baseline(t, run.size) - want) > 60:
                    if k > found:
                        break
                    continue
                if k not in anchors and t.text == run.text and abs(t.x0 - run.x0) <= 1.3:
                    anchors[k] = len(placed) - 1
                    break
        cursor = found + 1
    return placed, anchors, missing


def _repeated_header(s: Segment) -> bool:
    """A table's header row repeated at the top of a page is not the end of the table."""
    return s.y1 > PAGE_H - 90


def _baseline(s: Segment, size: float) -> float:
    return s.y1 - 0.72 * size


def _regions(
    model: FormModel, placed: list[Placed], segs: list[Segment], anchors: dict[int, int]
) -> list[tuple[Slot, int, float, float, float, float]]:
    """Each slot's area on its page: (slot, page, x0, x1, top, bottom)."""
    runs_found: dict[tuple[int, str, float], float] = {}
    for k, p in anchors.items():
        runs_found.setdefault((p, segs[k].text, round(segs[k].x0)), segs[k].y1)
    statics_by_page: dict[int, list[Segment]] = {}
    for k, seg in enumerate(segs):
        if k in anchors or model.is_static(seg.text, seg.x0):
            statics_by_page.setdefault(seg.page, []).append(seg)
    out = []
    for pi, p in enumerate(placed):
        for slot in p.block.slots:
            top = p.top - slot.rel_top
            if slot.label is not None:
                run = p.block.runs[slot.label]
                y1 = _find_run(runs_found, pi, run.text, run.x0)
                if y1 is not None:
                    top = y1 - 0.72 * run.size + run.rel_y - slot.rel_top
            bottom = top - slot.h
            if slot.grows:
                below = [
                    s.y1
                    for s in statics_by_page.get(p.page, [])
                    if s.y1 < top - 4 and s.x1 > slot.x0 and s.x0 < slot.x1
                ]
                bottom = max([top - slot.h * MAX_TALL, BOTTOM - 2, *below])
            out.append((slot, p.page, slot.x0, slot.x1, top + 1.5, bottom - 1.5))
    return out


def note_places(
    regions: list[tuple[Slot, int, float, float, float, float]], taken: dict[int, list[Segment]]
) -> list[Place]:
    """Each box where the page prints it, to place notes among (`pdf_notes`), as a fillable
    form's widgets are. A box that grows is as tall as the blank form draws it, or as its text
    if that goes lower: not the whole space down to the next label that its text may take, so
    that a note in the gap between two boxes is given to the nearer one, as on the fillable
    form."""
    places = []
    for index, (slot, page, x0, x1, top, bottom) in enumerate(regions):
        top, bottom = top - 1.5, bottom + 1.5  # the box itself, not the margin read with it
        if slot.grows:
            ink = [s.y0 - 2 for s in taken.get(index, [])]
            bottom = max(bottom, min([top - slot.h, *ink]))
        places.append(Place(page, slot.pointer, (x0, bottom, x1, top)))
    return places


def _find_run(found: dict, placed_index: int, text: str, x0: float) -> float | None:
    for dx in (0, -1, 1):
        y = found.get((placed_index, text, round(x0) + dx))
        if y is not None:
            return y
    return None


def _home(regions, seg: Segment) -> int | None:
    x, y = seg.x0 + 0.5, seg.cy
    for index, (_slot, page, x0, x1, top, bottom) in enumerate(regions):
        if page == seg.page and x0 <= x <= x1 and bottom <= y <= top:
            return index
    return None


def _crossed(regions, home: int, seg: Segment) -> list[int]:
    """The other boxes a segment that starts in box `home` runs over."""
    _slot, page, _x0, x1, _top, _bottom = regions[home]
    if seg.x1 <= x1 + 3:
        return []
    return [
        i
        for i, (_s, p, x0, _x1, top, bottom) in enumerate(regions)
        if i != home and p == page and x1 - 1 <= x0 < seg.x1 - 3 and bottom <= seg.cy <= top
    ]


def _join(segs: list[Segment], slot: Slot, width: float, model: FormModel) -> str:
    """A box's text: segments on one line joined by spaces; lines by a space where the form
    wrapped them, by a newline where the line ended before the box did."""
    if not segs:
        return ""
    lines: list[list[Segment]] = []
    for seg in sorted(segs, key=lambda s: (-s.cy, s.x0)):
        if lines and abs(lines[-1][0].cy - seg.cy) < 2.0:
            lines[-1].append(seg)
        else:
            lines.append([seg])
    texts = [" ".join(s.text for s in sorted(line, key=lambda s: s.x0)) for line in lines]
    if not slot.multiline:
        return " ".join(texts)
    font = model.theme.regular
    longest = max(range(len(lines)), key=lambda i: len(texts[i]))
    ink = max(s.x1 for s in lines[longest]) - min(s.x0 for s in lines[longest])
    # The renderer draws at its base size, shrunk in half points to fit: find which.
    sizes = [9.0 - 0.5 * i for i in range(10)]
    size = min(sizes, key=lambda z: abs(font.width(texts[longest], z) - ink))
    leading = size * 1.15  # as the renderer draws lines (pdf_fields.LEADING)
    out = texts[0]
    for i in range(1, len(lines)):
        prev, text = texts[i - 1], texts[i]
        steps = round((lines[i - 1][0].cy - lines[i][0].cy) / leading)
        if steps >= 2:  # empty lines between: the person typed them
            out += "\n" * steps + text
            continue
        first_word = text.split(" ", 1)[0]
        fits = font.width(prev + " " + first_word, size) <= width - 5
        out += ("\n" if fits else " ") + text
    return out


def _is_furniture(seg: Segment, model: FormModel) -> bool:
    text = seg.text
    return bool(
        _FORM_ID.search(text)
        or _PAGE.match(text)
        or text in ("OFFICIAL-SENSITIVE", "Personal Education Plan")
        or "Child ID" in text
        or model.is_static(text, seg.x0)
    )
