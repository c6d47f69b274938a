"""Fill a rendered fillable PDF form as a school would, for the tests of returned PDFs.

`fill_as_school(form, doc)` takes the fillable form of `doc` (pep-docs renders it with the
authority's prepopulated values) and types the school's answers again the way people and PDF
readers do: UK dates as 12.3.26 or 12th Mar 2026, percentages as "92%", choices by their export
value (as Acrobat saves a combo box) or by their label (as macOS Preview does), one then the
other, multi-line text kept. Each retyped field gets a `/V` and a fresh appearance stream (the
reader's drawing, with the form's own font, showing the choice's label), so that a flattened
copy shows what was typed. `note` adds text typed outside every box.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, TextStringObject

from pep_docs.forms import display_value
from pep_docs.profiles import load_profile
from pep_docs.render.pdf_fields import TextSlot
from pep_docs.render.pdf_layout import PlacedWidget, Theme
from pep_docs.schema import Field, Table, load_model

MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def school_text(f: Field, value: Any, n: int) -> str:
    """How a school types a value: the n-th field of its kind gets the n-th way of writing it."""
    if f.widget == "date":
        d = date.fromisoformat(value)
        ways = (
            f"{d.day}.{d.month}.{d.year % 100:02d}",
            f"{ordinal(d.day)} {MONTHS[d.month - 1]} {d.year}",
            d.strftime("%d/%m/%Y"),
        )
        return ways[n % len(ways)]
    if f.unit == "%" and f.type in ("number", "integer"):
        return f"{display_value(f, value)}%"
    if f.widget == "choice":
        return f.choice_value(value) if n % 2 else f.label_for(value)
    return display_value(f, value)


def _cells(model) -> set[str]:
    """Pattern pointers of the columns of tables laid out as rows (drawn smaller)."""
    return {
        c.pointer
        for node in model.walk()
        if isinstance(node, Table) and node.layout == "rows"
        for c in node.columns
    }


def fill_as_school(form: bytes, doc: dict, *, note: str = "") -> bytes:
    model = load_model()
    theme = Theme.of(load_profile(doc["authority"]))
    cells = _cells(model)
    values = dict(_flat(doc))
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(form)))
    counts: dict[str, int] = {}
    for page in writer.pages:
        for ref in page.get("/Annots") or []:
            annot = ref.get_object()
            name = str(annot.get("/T", ""))
            if not model.has(name) or name not in values:
                continue
            f = model.node(name)
            if not isinstance(f, Field) or f.hidden:
                continue
            value = values[name]
            n = counts[f.widget] = counts.get(f.widget, -1) + 1
            typed = school_text(f, value, n)
            annot[NameObject("/V")] = TextStringObject(typed)
            x1, y1, x2, y2 = (float(v) for v in annot["/Rect"])
            pattern = _pattern(name)
            spot = PlacedWidget(f, name, 0, 0, x2 - x1, y2 - y1, "", None, pattern in cells)
            shown = f.label_for(typed) if f.widget == "choice" else typed  # what a reader draws
            body, _size = TextSlot(spot, 0).appearance(theme.regular, shown)
            ops = body.split(b"stream\n", 1)[1].rsplit(b"\nendstream", 1)[0]
            annot["/AP"]["/N"].get_object().set_data(ops)
    if note:
        _add_note(writer, note)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _add_note(writer: PdfWriter, note: str) -> None:
    """Text added on the last page below every box (as a PDF editor's text tool leaves it)."""
    from reportlab.pdfgen import canvas

    from pep_docs.render.pdf_layout import PAGE_H, PAGE_W

    buffer = io.BytesIO()
    overlay = canvas.Canvas(buffer, pagesize=(PAGE_W, PAGE_H))
    overlay.setFont("Helvetica", 8)
    overlay.drawString(300, 50, note)
    overlay.save()
    writer.pages[-1].merge_page(PdfReader(buffer).pages[0])


def _pattern(pointer: str) -> str:
    return "/".join("*" if part.isdigit() else part for part in pointer.split("/"))


def _flat(data: Any, prefix: str = ""):
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _flat(v, f"{prefix}/{k}")
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _flat(v, f"{prefix}/{i}")
    else:
        yield prefix, data
