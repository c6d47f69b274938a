"""PDF forms: the engine against a naive per-child generation of the same layout, in one run.

Naive: for every child, lay the form out and draw it on a fresh reportlab canvas with reportlab
acroForm fields (what a first implementation does). Engine: `pep_docs.render.pdf.render_pdf`,
cold (every layout cache empty, as for the first child of each authority, phase and layout key,
including the one-off font subsetting) and warm (the per-child cost once layouts are cached,
which is what a term's cohort pays). Both get the same prepared `FormSpec`s; preparing them
(validation) is timed apart.

Run: `.venv/bin/python -m benchmarks.bench_pdf [--rounds N]`.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time

from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from benchmarks import fixture_specs
from pep_docs.forms import FormSpec
from pep_docs.render import pdf as engine
from pep_docs.render.pdf_fields import field_value
from pep_docs.render.pdf_layout import (
    MARGIN_X,
    PAGE_W,
    Box,
    Picture,
    TextRun,
    Theme,
    build_layout,
    layout_key,
)


def _register(theme: Theme) -> tuple[str, str]:
    names = ("Naive-" + theme.regular.path.stem, "Naive-" + theme.bold.path.stem)
    for font_name, font in zip(names, (theme.regular, theme.bold), strict=True):
        if font_name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(font_name, str(font.path)))
    return names


def _latin1(text: str) -> str:
    # reportlab's form fields only have the Latin-1 standard fonts.
    return text.encode("latin-1", "replace").decode("latin-1")


def naive_render(spec: FormSpec) -> bytes:
    """A fresh reportlab canvas per child drawing the same layout, with reportlab form fields."""
    theme = Theme.of(spec.profile)
    regular, bold = _register(theme)
    layout = build_layout(spec, theme, layout_key(spec, theme))
    logo = ImageReader(io.BytesIO(spec.profile.logo_png()))
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    c.setTitle(spec.title)
    form = c.acroForm
    total = len(layout.pages)
    for index, page in enumerate(layout.pages):
        for item in page.items:
            if isinstance(item, Box):
                if item.fill is not None:
                    c.setFillColorRGB(*item.fill)
                if item.stroke is not None:
                    c.setStrokeColorRGB(*item.stroke)
                    c.setLineWidth(item.line_width)
                c.rect(
                    item.x,
                    item.y,
                    item.w,
                    item.h,
                    stroke=item.stroke is not None,
                    fill=item.fill is not None,
                )
            elif isinstance(item, Picture):
                c.drawImage(logo, item.x, item.y, item.w, item.h, mask="auto")
            elif isinstance(item, TextRun):
                c.setFont(bold if item.bold else regular, item.size)
                c.setFillColorRGB(*item.colour)
                draw = {
                    "left": c.drawString,
                    "right": c.drawRightString,
                    "center": c.drawCentredString,
                }
                draw[item.align](item.x, item.y, item.text)
        for w in page.widgets:
            value = field_value(w.field, spec.value(w.pointer))
            common = dict(name=w.pointer, tooltip=_latin1(w.tooltip), x=w.x, y=w.y, borderWidth=0)
            if w.hidden:
                continue
            if w.field.widget == "choice":
                options = [(_latin1(label), v) for v, label in w.field.choices]
                # reportlab's choice() fails on an empty value, so blank ones get the first option.
                form.choice(
                    value=value or options[0][1],
                    options=options,
                    width=w.w,
                    height=w.h,
                    fontName="Helvetica",
                    fontSize=9,
                    **common,
                )
            else:
                flags = "multiline" if w.field.widget == "paragraph" else ""
                form.textfield(
                    value=_latin1(value or ""),
                    width=w.w,
                    height=w.h,
                    fieldFlags=flags,
                    maxlen=100000,
                    fontName="Helvetica",
                    fontSize=9,
                    **common,
                )
        c.setFont(bold, 7.5)
        c.drawString(MARGIN_X, 33, f"Form ID {spec.identity.form_id}")
        c.drawRightString(PAGE_W - MARGIN_X, 33, f"Page {index + 1} of {total}")
        c.setFont(regular, 7)
        c.drawString(MARGIN_X, 23, spec.child_name)
        c.showPage()
    c.save()
    return out.getvalue()


def _time(fn, specs: list[FormSpec]) -> float:
    start = time.perf_counter()
    for spec in specs:
        fn(spec)
    return (time.perf_counter() - start) * 1000 / len(specs)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="warm rounds (the median is shown)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    specs = fixture_specs()
    prep_ms = (time.perf_counter() - start) * 1000 / len(specs)
    naive_render(specs[0])  # register fonts and import reportlab modules outside the timing

    naive = _time(naive_render, specs)  # one round: it is slow and steady
    engine.clear_cache()
    cold = _time(engine.render_pdf, specs)
    warm = statistics.median(_time(engine.render_pdf, specs) for _ in range(args.rounds))
    layouts = sum(len(r._templates) for r in engine._renderers.values())
    sizes = [len(engine.render_pdf(s)) for s in specs]

    print(
        f"PDF forms: {len(specs)} fixture PEPs, {layouts} distinct layouts, "
        f"mean size {statistics.mean(sizes) / 1024:.0f} kB"
    )
    print(f"  prepare (validate, identity)      {prep_ms:8.2f} ms per document (both paths)")
    print(f"  naive: reportlab canvas per child {naive:8.2f} ms per document")
    print(f"  engine, cold (layouts built)      {cold:8.2f} ms per document   {naive / cold:6.1f}x")
    print(f"  engine, warm (layouts cached)     {warm:8.2f} ms per document   {naive / warm:6.1f}x")


if __name__ == "__main__":
    main()
