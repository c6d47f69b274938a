"""Returned Word forms made as schools make them, for the extraction tests and the benchmark.

- `school_form(doc)`: the form a Virtual School sends (only the prepopulated part of a fixture
  PEP printed), then filled in as a designated teacher does in Word: `fill` sets each content
  control as Word would (text, lines, dates typed in the UK ways people type them, choices
  by their label) and writes the value back into the form's data part, as Word does for bound
  controls. Records beyond the printed rows go into rows the school adds at the end of the table
  (Word's Tab in the last cell: plain cells, no content controls).
- `strip_controls(docx)`: what copy/paste into a new document or a Google Docs export leaves:
  every `w:sdt` removed with its content kept in place, no bookmarks, no custom XML parts, no
  custom properties, no identifier in the core properties.
- `libreoffice(paths, out, to)`: a real LibreOffice round trip, many files in one call.
"""

from __future__ import annotations

import copy
import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

from lxml import etree

from pep_docs.forms import display_value, prepare
from pep_docs.render.docx import render_docx
from pep_docs.schema import (
    Field,
    PepModel,
    Table,
    get_pointer,
    iter_values,
    load_model,
    set_pointer,
)

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}
IDENTITY_KEYS = ("authority", "phase", "term", "child_id", "$schema")
MONTHS = "January February March April May June July August September October November December"


def q(tag: str) -> str:
    prefix, name = tag.split(":")
    return f"{{{NS[prefix]}}}{name}"


def prepopulated_part(doc: dict, model: PepModel | None = None) -> dict:
    """What the authority knows before the meeting: identity and `prepopulated` fields only."""
    model = model or load_model()
    part: dict[str, Any] = {k: doc[k] for k in IDENTITY_KEYS if k in doc}
    for pointer, value in iter_values(doc, model):
        f = model.node(pointer)
        if isinstance(f, Field) and f.prepopulated and pointer[1:] not in IDENTITY_KEYS:
            set_pointer(part, pointer, value)
    return part


def typed(f: Field, value: Any, n: int) -> str:
    """What a person types for a value; `n` picks among the ways people write dates."""
    if f.widget == "date":
        y, m, d = (int(p) for p in str(value).split("-"))
        month = MONTHS.split()[m - 1]
        suffix = "th" if 11 <= d <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")
        return [
            f"{d:02d}/{m:02d}/{y}",
            f"{d}.{m}.{y % 100:02d}",
            f"{d} {month} {y}",
            f"{d}{suffix} {month[:3]} {y}",
        ][n % 4]
    if f.unit == "%" and f.type in ("number", "integer"):
        return display_value(f, value) + "%"
    return display_value(f, value)


def _stored(f: Field, value: Any) -> str:
    if f.widget == "choice":
        return f.choice_value(value)
    if f.widget == "date":
        return str(value)
    return display_value(f, value)


def _runs(text: str) -> list[etree._Element]:
    """One run with the text, lines separated by `w:br` (what Word's multi-line control does)."""
    run = etree.Element(q("w:r"))
    for i, line in enumerate(text.split("\n")):
        if i:
            etree.SubElement(run, q("w:br"))
        t = etree.SubElement(run, q("w:t"))
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        t.text = line
    return [run]


def _set_control(sdt: etree._Element, f: Field, text: str, value: Any) -> None:
    pr = sdt.find("w:sdtPr", NS)
    content = sdt.find("w:sdtContent", NS)
    for flag in pr.findall("w:showingPlcHdr", NS):
        pr.remove(flag)
    date = pr.find("w:date", NS)
    if date is not None:
        date.set(q("w:fullDate"), f"{value}T00:00:00Z")
    for child in list(content):
        content.remove(child)
    content.extend(_runs(text))


def _bound(values: etree._Element | None, pointer: str) -> etree._Element | None:
    node = values
    for token in pointer.split("/")[1:]:
        found = [c for c in node if etree.QName(c).localname == "item"] if token.isdigit() else []
        if token.isdigit():
            if int(token) >= len(found):
                return None
            node = found[int(token)]
        else:
            node = next((c for c in node if etree.QName(c).localname == token), None)
            if node is None:
                return None
    return node


def _get_bound(values: etree._Element | None, pointer: str) -> str:
    node = _bound(values, pointer) if values is not None else None
    return (node.text or "") if node is not None else ""


def _set_bound(values: etree._Element | None, pointer: str, stored: str) -> None:
    node = _bound(values, pointer) if values is not None else None
    if node is not None:
        node.text = stored


def _plain_row(template_row: etree._Element) -> etree._Element:
    """A row added at the end of a table in Word: the same cells, empty, no controls."""
    row = copy.deepcopy(template_row)
    for tc in row.findall("w:tc", NS):
        for child in list(tc):
            if child.tag != q("w:tcPr"):
                tc.remove(child)
        etree.SubElement(tc, q("w:p"))
    return row


def _fill_plain_row(row: etree._Element, texts: list[str]) -> None:
    for tc, text in zip(row.findall("w:tc", NS), texts, strict=True):
        p = tc.find("w:p", NS)
        p.extend(_runs(text))


def fill(docx: bytes, doc: dict, model: PepModel | None = None) -> tuple[bytes, dict[str, str]]:
    """Type every value of `doc` the form does not already show; what was typed, by pointer."""
    model = model or load_model()
    parts = _read(docx)
    body = etree.fromstring(parts["word/document.xml"])
    values_name = next(
        (n for n in parts if n.startswith("customXml/item") and b"urn:pep-docs:values" in parts[n]),
        None,
    )
    values = etree.fromstring(parts[values_name]) if values_name else None
    controls = {
        sdt.find("w:sdtPr/w:tag", NS).get(q("w:val")): sdt
        for sdt in body.iter(q("w:sdt"))
        if sdt.find("w:sdtPr/w:tag", NS) is not None
    }
    school: dict[str, str] = {}
    extra: dict[str, dict[int, dict[str, str]]] = {}
    for n, (pointer, value) in enumerate(iter_values(doc, model)):
        f = model.node(pointer)
        if pointer[1:] in IDENTITY_KEYS or not isinstance(f, Field) or value is None:
            continue
        sdt = controls.get(pointer)
        text = typed(f, value, n)
        if sdt is not None:
            if not _get_bound(values, pointer):  # the form was sent without it
                _set_control(sdt, f, text, value)
                _set_bound(values, pointer, _stored(f, value))
                school[pointer] = text
            continue
        table, index, column = pointer.rsplit("/", 2)
        extra.setdefault(table, {}).setdefault(int(index), {})[column] = text
        school[pointer] = text
    for table_pointer, rows in extra.items():
        _add_rows(body, model.node(table_pointer), rows)
    parts["word/document.xml"] = etree.tostring(body, xml_declaration=True, encoding="UTF-8")
    if values_name:
        parts[values_name] = etree.tostring(values, xml_declaration=True, encoding="UTF-8")
    return _write(parts), school


def _add_rows(body: etree._Element, table: Table, rows: dict[int, dict[str, str]]) -> None:
    """Rows beyond the printed ones, added after the table's last row."""
    last_tag = None
    for sdt in body.iter(q("w:sdt")):
        tag = sdt.find("w:sdtPr/w:tag", NS)
        if tag is not None and tag.get(q("w:val"), "").startswith(table.pointer + "/"):
            last_tag = sdt
    if last_tag is None or table.layout != "rows":
        raise AssertionError(f"cannot add rows to {table.pointer}")
    last_row = next(a for a in last_tag.iterancestors(q("w:tr")))
    names = []
    for sdt in last_row.iter(q("w:sdt")):
        names.append(sdt.find("w:sdtPr/w:tag", NS).get(q("w:val")).rsplit("/", 1)[-1])
    anchor = last_row
    for index in sorted(rows):
        row = _plain_row(last_row)
        _fill_plain_row(row, [rows[index].get(name, "") for name in names])
        anchor.addnext(row)
        anchor = row


def school_form(doc: dict, model: PepModel | None = None) -> tuple[bytes, dict[str, str]]:
    """The form sent with the prepopulated part, filled in by the school in Word."""
    model = model or load_model()
    sent = render_docx(prepare(data=prepopulated_part(doc, model)))
    return fill(sent, doc, model)


# -- what other programs make of a form ---------------------------------------------------------


def _read(docx: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(docx)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _write(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return out.getvalue()


def unwrap_controls(root: etree._Element) -> None:
    """Every `w:sdt` replaced by its content, and every bookmark removed."""
    for sdt in list(root.iter(q("w:sdt"))):
        parent = sdt.getparent()
        if parent is None:
            continue
        content = sdt.find("w:sdtContent", NS)
        position = parent.index(sdt)
        for child in reversed(list(content) if content is not None else []):
            parent.insert(position + 1, child)
        parent.remove(sdt)
    for mark in list(root.iter(q("w:bookmarkStart"), q("w:bookmarkEnd"))):
        mark.getparent().remove(mark)


def strip_controls(docx: bytes, *, keep_header: bool = True) -> bytes:
    """The form as copy/paste or a Google Docs export leaves it: no controls, no form data parts.

    `keep_header=False`: no header or footer either (the body pasted into a new document)."""
    parts = _read(docx)
    body = etree.fromstring(parts["word/document.xml"])
    unwrap_controls(body)
    if not keep_header:
        for ref in list(body.iter(q("w:headerReference"), q("w:footerReference"))):
            ref.getparent().remove(ref)
    parts["word/document.xml"] = etree.tostring(body, xml_declaration=True, encoding="UTF-8")
    dropped = {n for n in parts if n.startswith("customXml/") or n == "docProps/custom.xml"}
    if not keep_header:
        dropped |= {n for n in parts if re.fullmatch(r"word/(header|footer)\d+\.xml", n)}
    for name in dropped:
        del parts[name]
    gone = "|".join(re.escape(n.split("/", 1)[-1]) for n in dropped if n.endswith(".xml"))
    for name in ("[Content_Types].xml", "_rels/.rels", "word/_rels/document.xml.rels"):
        if name in parts and gone:
            text = parts[name].decode("utf-8")
            text = re.sub(rf"<(Override|Relationship)[^>]*(?:{gone})\"/>", "", text)
            parts[name] = text.encode("utf-8")
    for name in [n for n in parts if n.startswith("word/_rels/header") and "header" in gone]:
        del parts[name]
    core = parts.get("docProps/core.xml")
    if core:
        parts["docProps/core.xml"] = re.sub(rb"<dc:identifier>[^<]*</dc:identifier>", b"", core)
    return _write(parts)


def libreoffice(paths: list[Path], out: Path, to: str, profile: Path) -> list[Path]:
    """Each file opened and saved by a real LibreOffice as `to` (`docx` or `odt`), in one call."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is installed by scripts/install-system-packages.sh"
    target = {"docx": "docx:MS Word 2007 XML", "odt": "odt"}[to]
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
         target, "--outdir", str(out), *map(str, paths)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    made = [out / f"{p.stem}.{to}" for p in paths]
    missing = [p for p in made if not p.is_file()]
    assert not missing, f"LibreOffice made no {missing}"
    return made


def with_added_rows(doc: dict, extra: int = 2, model: PepModel | None = None) -> dict:
    """`doc` with `extra` more records than the sent form prints, in every table of records the
    school completes (no column prepopulated) that has any: the school adds rows for them."""
    model = model or load_model()
    out = copy.deepcopy(doc)
    for table in (n for n in model.walk(doc.get("phase")) if isinstance(n, Table)):
        items = get_pointer(out, table.pointer)
        if table.layout != "rows" or not items or any(c.prepopulated for c in table.columns):
            continue
        original = len(items)
        while len(items) < max(table.rows, table.min_items) + extra:
            row = copy.deepcopy(items[(len(items) - original) % original])
            for column in table.columns:
                name = column.name
                if column.widget in ("line", "paragraph") and row.get(name):
                    row[name] = f"{row[name]} (row {len(items) + 1}, added by the school)"
            items.append(row)
    return out


def split_breaks(docx: bytes) -> bytes:
    """Every line break made a new paragraph, as when a person types lines with Enter."""
    parts = _read(docx)
    body = etree.fromstring(parts["word/document.xml"])
    for p in list(body.iter(q("w:p"))):
        if p.find(".//w:br", NS) is None:
            continue
        current = etree.Element(q("w:p"))
        ppr = p.find("w:pPr", NS)
        made = []
        for run in p.findall("w:r", NS):
            for child in list(run):
                if child.tag == q("w:br"):
                    made.append(current)
                    current = etree.Element(q("w:p"))
                    continue
                if child.tag == q("w:rPr"):
                    continue
                new_run = etree.SubElement(current, q("w:r"))
                new_run.append(child)
        made.append(current)
        parent, index = p.getparent(), p.getparent().index(p)
        parent.remove(p)
        for offset, new in enumerate(made):
            if ppr is not None:
                new.insert(0, copy.deepcopy(ppr))
            parent.insert(index + offset, new)
    parts["word/document.xml"] = etree.tostring(body, xml_declaration=True, encoding="UTF-8")
    return _write(parts)
