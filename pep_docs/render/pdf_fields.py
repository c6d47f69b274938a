"""AcroForm fields of the PDF form: how a value is stored in a field and how it is drawn.

Each schema field at a concrete pointer is one terminal field merged with its one widget. The
value mapping (what `/V` holds, for the reader of returned forms):

- line, time: text field; `/V` = the text as stored.
- paragraph: multiline text field (Ff 4096); `/V` = the text as stored, newlines kept.
- date: text field; `/V` = `dd/mm/yyyy` (the data holds ISO `yyyy-mm-dd`).
- number: text field; `/V` = the number as printed (`90`, `91.1`).
- choice: combo box (Ff 131072) with `/Opt` pairs [enum value, label]; `/V` = the enum value
  (a yes/no question: `true` or `false`, labelled Yes and No).

A value is never cut: `/V` holds it whole; only its drawing shrinks (down to `MIN_SIZE`) or is
clipped to the box.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pep_docs.forms import display_value
from pep_docs.render.pdf_fonts import EmbeddedFont, prepare_text
from pep_docs.render.pdf_layout import VALUE_SIZE, PlacedWidget
from pep_docs.render.pdf_objects import Name, Raw, number, serialize, text_string
from pep_docs.schema import Field

FONT_RES = "PepSans"
BOLD_RES = "PepSansB"
MIN_SIZE = 4.5
CELL_SIZE = 8.0
LEADING = 1.15
TEXT_RGB = "0.1 0.1 0.12 rg"

FF_READ_ONLY = 1
FF_MULTILINE = 1 << 12
FF_COMBO = 1 << 17
F_HIDDEN = 2
F_PRINT = 4


def field_value(f: Field, value: Any) -> str | None:
    """What a field's `/V` holds for a stored value (see the table above); None: no `/V`."""
    if value is None:
        return None
    if f.widget == "choice":
        return f.choice_value(value)
    if f.widget in ("date", "number"):
        return display_value(f, value)
    return str(value)


def static_entries(w: PlacedWidget, page_ref: int, struct_key: int | None, font_ref: int) -> bytes:
    """The entries of a field-widget that do not depend on the child (written once per layout)."""
    f = w.field
    entries: dict[str, Any] = {
        "Type": Name("Annot"),
        "Subtype": Name("Widget"),
        "T": w.pointer,
        "TU": w.tooltip,
        "Rect": [round(v, 2) for v in (w.rect if not w.hidden else (0, 0, 0, 0))],
        "F": F_HIDDEN if w.hidden else F_PRINT,
    }
    if not w.hidden:
        entries["P"] = Raw(b"%d 0 R" % page_ref)
    if struct_key is not None:
        entries["StructParent"] = struct_key
    flags = FF_READ_ONLY if w.hidden else 0
    if f.widget == "choice":
        entries["FT"] = Name("Ch")
        flags |= FF_COMBO
        entries["Opt"] = [[value, label] for value, label in f.choices]
    else:
        entries["FT"] = Name("Tx")
        if f.widget == "paragraph":
            flags |= FF_MULTILINE
    if flags:
        entries["Ff"] = flags
    body = serialize(entries)
    return body[:-2]  # open: the per-child entries follow


def fit_single(font: EmbeddedFont, text: str, width: float, size: float) -> float:
    while size > MIN_SIZE and font.width(text, size) > width:
        size -= 0.5
    return size


def fit_lines(font: EmbeddedFont, text: str, width: float, height: float, size: float):
    while True:
        lines = font.wrap(text, width, size)
        if len(lines) * size * LEADING <= height or size <= MIN_SIZE:
            return size, lines
        size -= 0.5


class TextSlot:
    """The appearance of one text or combo widget: the parts fixed by the layout made once."""

    __slots__ = ("w", "h", "multiline", "base", "clip", "head", "empty")

    def __init__(self, widget: PlacedWidget, resources_ref: int) -> None:
        self.w, self.h = widget.w, widget.h
        self.multiline = widget.field.widget == "paragraph"
        self.base = CELL_SIZE if widget.cell else VALUE_SIZE
        w, h = number(self.w), number(self.h)
        self.clip = f"/Tx BMC\nq\n1 1 {number(self.w - 2)} {number(self.h - 2)} re W n\nBT\n"
        self.head = (
            f"<</Type/XObject/Subtype/Form/BBox[0 0 {w} {h}]/Resources {resources_ref} 0 R/Length "
        ).encode("ascii")
        self.empty = self.head + b"%d>>\nstream\n" % len(EMPTY_TEXT) + EMPTY_TEXT + b"\nendstream"

    def appearance(self, font: EmbeddedFont, text: str) -> tuple[bytes, float]:
        """The `/N` appearance stream body for a value and the font size it is drawn at."""
        text = prepare_text(text)
        w, h = self.w, self.h
        if self.multiline:
            size, lines = fit_lines(font, text, w - 5, h - 3, self.base)
            top = h - 2 - font.ascent * size / 1000.0
            # A single line sits in the middle of a short box, as viewers draw it.
            if len(lines) == 1 and h < 2.5 * size:
                top = (h - font.cap_height * size / 1000.0) / 2
        else:
            text = text.replace("\n", " ")
            size = fit_single(font, text, w - 5, self.base)
            lines = [text]
            top = (h - font.cap_height * size / 1000.0) / 2
        encode = font.encode
        body = "".join([f"<{encode(line)}> Tj T*\n" for line in lines])
        ops = (
            f"{self.clip}/{FONT_RES} {size:.2f} Tf\n{TEXT_RGB}\n{size * LEADING:.2f} TL\n"
            f"2.5 {top:.2f} Td\n{body}ET\nQ\nEMC\n"
        ).encode("ascii")
        return self.head + b"%d>>\nstream\n" % len(ops) + ops + b"\nendstream", size


EMPTY_TEXT = b"/Tx BMC\nEMC\n"


def dynamic_entries(value: str | None, ap_ref: int, size: float) -> bytes:
    """The per-child entries that close a field-widget dictionary."""
    v = b"" if value is None else b"/V" + text_string(value)
    return v + _da(size) + b"/AP<</N %d 0 R>>>>" % ap_ref


@cache
def _da(size: float) -> bytes:
    return b"/DA" + text_string(f"/{FONT_RES} {number(size)} Tf {TEXT_RGB}")
