"""The form body and the values part, as template source, from walking a `FormSpec`.

Nothing here lists fields: sections come from `FormSpec.sections()` (with the authority's
titles), their contents from `FormSpec.children()`, tables from the schema's `Table` nodes. The
result depends only on the schema, the authority profile and the phase, so it is built once per
(template, authority, phase) and rendered for many children.

Layout: a section is a Heading 1, its guidance, then its fields as a two-column table (label |
answer; paragraph answers take a full-width row under their label). A group is a Heading 2 with
its own table. A table of records (`layout: rows`) is a table with a repeating header row and one
row per item; `layout: cards` prints one small label | answer table per item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pep_docs.errors import SchemaError
from pep_docs.forms import FormSpec
from pep_docs.render.docx_sdt import VALUES_NS, VALUES_PREFIX, Slot, control, label, text
from pep_docs.schema import Field, Group, Node, Table

TEXT_WIDTH = 10204  # twips between the template's margins (A4, 1.5 cm margins)
LABEL_WIDTH = 3400
WIDGET_WEIGHT = {
    "paragraph": 3.0,
    "line": 2.0,
    "choice": 1.8,
    "date": 1.3,
    "time": 0.9,
    "number": 1.0,
}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def _hex(colour: str) -> str:
    return colour.lstrip("#").upper()


def _run(content: str, rpr: str = "") -> str:
    props = f"<w:rPr>{rpr}</w:rPr>" if rpr else ""
    return f'<w:r>{props}<w:t xml:space="preserve">{content}</w:t></w:r>'


def _para(style: str, content: str) -> str:
    return f'<w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr>{content}</w:p>'


SPACER = (
    '<w:p><w:pPr><w:spacing w:before="0" w:after="0" w:line="120" w:lineRule="exact"/>'
    '<w:rPr><w:sz w:val="8"/></w:rPr></w:pPr></w:p>'
)


@dataclass
class BodyBuilder:
    """Builds the body source for one FormSpec (its profile and phase; values come later)."""

    spec: FormSpec
    tables: list[Table] = field(default_factory=list)
    _bookmark: int = 0
    _column: int = 0

    @property
    def primary(self) -> str:
        return _hex(self.spec.profile.colours["primary"])

    @property
    def secondary(self) -> str:
        return _hex(self.spec.profile.colours["secondary"])

    # -- slots -------------------------------------------------------------------------------

    def _static(self, pointer: str) -> Slot:
        self._bookmark += 1
        return Slot.static(pointer, self._bookmark)

    def _in_row(self, pattern: str) -> Slot:
        self._column += 1
        return Slot.in_row(pattern, 1000 * self._column)

    # -- blocks ------------------------------------------------------------------------------

    def build(self) -> str:
        out: list[str] = []
        for view in self.spec.sections():
            out.append(_para("Heading1", _run(text(view.title))))
            out.append(self._guidance(view.node.description))
            if isinstance(view.node, Table):
                out.append(self._table(view.node))
            else:
                out.append(self._group_body(view.node))
        return "".join(out)

    def _guidance(self, description: str) -> str:
        return _para("PEPGuidance", _run(text(description))) if description else ""

    def _group_body(self, group: Group) -> str:
        out: list[str] = []
        pending: list[Field] = []

        def flush() -> None:
            if pending:
                out.append(self._field_table(pending, caption=group.title))
                pending.clear()

        for child in self.spec.children(group):
            if isinstance(child, Field):
                if not child.hidden:
                    pending.append(child)
                continue
            flush()
            out.append(_para("Heading2", _run(text(child.title))))
            out.append(self._guidance(child.description))
            out.append(self._table(child) if isinstance(child, Table) else self._group_body(child))
        flush()
        return "".join(out)

    # -- tables ------------------------------------------------------------------------------

    def _tbl(self, widths: list[int], rows: str, caption: str) -> str:
        grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
        return (
            '<w:tbl><w:tblPr><w:tblStyle w:val="PEPFormTable"/>'
            f'<w:tblW w:w="{TEXT_WIDTH}" w:type="dxa"/><w:tblLayout w:type="fixed"/>'
            '<w:tblLook w:val="0000" w:firstRow="1" w:lastRow="0" w:firstColumn="1" '
            'w:lastColumn="0" w:noHBand="1" w:noVBand="1"/>'
            f'<w:tblCaption w:val="{text(caption)}"/>'
            f"</w:tblPr><w:tblGrid>{grid}</w:tblGrid>{rows}</w:tbl>{SPACER}"
        )

    def _cell(self, width: int, content: str, span: int = 1, fill: str | None = None) -> str:
        props = f'<w:tcW w:w="{width}" w:type="dxa"/>'
        if span > 1:
            props += f'<w:gridSpan w:val="{span}"/>'
        if fill:
            props += f'<w:shd w:val="clear" w:color="auto" w:fill="{fill}"/>'
        return f"<w:tc><w:tcPr>{props}</w:tcPr>{content}</w:tc>"

    def _label_cell(self, f: Field, width: int, span: int = 1) -> str:
        return self._cell(width, _para("PEPLabel", _run(text(label(f)))), span, self.secondary)

    def _answer(self, f: Field, slot: Slot) -> str:
        return _para("PEPAnswer", control(f, slot))

    def _field_rows(self, fields: list[Field], slot_for) -> str:
        rows: list[str] = []
        answer_width = TEXT_WIDTH - LABEL_WIDTH
        for f in fields:
            slot = slot_for(f.pointer)
            if f.widget == "paragraph":
                rows.append(
                    "<w:tr><w:trPr><w:cantSplit/></w:trPr>"
                    + self._label_cell(f, TEXT_WIDTH, span=2)
                    + "</w:tr>"
                    '<w:tr><w:trPr><w:trHeight w:val="1000" w:hRule="atLeast"/></w:trPr>'
                    + self._cell(TEXT_WIDTH, self._answer(f, slot), span=2)
                    + "</w:tr>"
                )
            else:
                rows.append(
                    "<w:tr><w:trPr><w:cantSplit/></w:trPr>"
                    + self._label_cell(f, LABEL_WIDTH)
                    + self._cell(answer_width, self._answer(f, slot))
                    + "</w:tr>"
                )
        return "".join(rows)

    def _field_table(self, fields: list[Field], caption: str) -> str:
        rows = self._field_rows(fields, self._static)
        return self._tbl([LABEL_WIDTH, TEXT_WIDTH - LABEL_WIDTH], rows, caption)

    def _table(self, table: Table) -> str:
        self.tables.append(table)
        columns = [c for c in table.columns if self.spec.shows(c) and not c.hidden]
        loop = f"{{% for i in n['{table.pointer}'] %}}"
        if table.layout == "cards":
            word = self._row_word(table)
            header = (
                "<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>"
                + self._cell(
                    TEXT_WIDTH,
                    _para(
                        "PEPLabel",
                        _run(f"{text(word)} {{{{ i + 1 }}}}", '<w:color w:val="FFFFFF"/>'),
                    ),
                    span=2,
                    fill=self.primary,
                )
                + "</w:tr>"
            )
            slots = {c.pointer: self._in_row(c.pointer) for c in columns}
            rows = header + self._field_rows(columns, slots.__getitem__)
            card = self._tbl([LABEL_WIDTH, TEXT_WIDTH - LABEL_WIDTH], rows, table.title)
            return f"{loop}{card}{{% endfor %}}"
        weights = [WIDGET_WEIGHT.get(c.widget, 1.5) for c in columns]
        widths = [int(TEXT_WIDTH * w / sum(weights)) for w in weights]
        widths[-1] += TEXT_WIDTH - sum(widths)
        header = (
            "<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>"
            + "".join(self._label_cell(c, w) for c, w in zip(columns, widths, strict=True))
            + "</w:tr>"
        )
        cells = "".join(
            self._cell(w, self._answer(c, self._in_row(c.pointer)))
            for c, w in zip(columns, widths, strict=True)
        )
        row = (
            '<w:tr><w:trPr><w:cantSplit/><w:trHeight w:val="440" w:hRule="atLeast"/></w:trPr>'
            f"{cells}</w:tr>"
        )
        return self._tbl(widths, f"{header}{loop}{row}{{% endfor %}}", table.title)

    def _row_word(self, table: Table) -> str:
        """'Target' for the SMART targets: the word `PepModel.describe` uses for a row."""
        where = self.spec.model.describe(f"{table.pointer}/0")
        word = where.rsplit(", ", 1)[-1].rsplit(" ", 1)[0]
        return word[:1].upper() + word[1:]


# -- the values part ----------------------------------------------------------------------------


def _element(name: str, pointer: str) -> str:
    if not _NAME.match(name):
        raise SchemaError(
            f"{name!r} cannot be an XML element name in the form's values part",
            pointer=pointer,
            hint="keep schema property names to letters, digits and underscores",
        )
    return f"{VALUES_PREFIX}:{name}"


def values_source(spec: FormSpec) -> str:
    """The custom XML part every control is bound to, mirroring the PEP's JSON structure."""

    def leaf(f: Field, expr: str) -> str:
        tag = _element(f.name, f.pointer)
        return f"<{tag}>{{{{ x[{expr}] }}}}</{tag}>"

    def node(n: Node) -> str:
        name = n.pointer.rsplit("/", 1)[-1]
        tag = _element(name, n.pointer)
        if isinstance(n, Field):
            return leaf(n, f"'{n.pointer}'")
        if isinstance(n, Table):
            items = "".join(
                leaf(c, "'{}/' ~ i ~ '{}'".format(*c.pointer.split("/*", 1)))
                for c in n.columns
                if spec.shows(c) and not c.hidden
            )
            loop = f"{{% for i in n['{n.pointer}'] %}}"
            return f"<{tag}>{loop}<{VALUES_PREFIX}:item>{items}</{VALUES_PREFIX}:item>{{% endfor %}}</{tag}>"
        inner = "".join(node(c) for c in spec.children(n) if not getattr(c, "hidden", False))
        return f"<{tag}>{inner}</{tag}>"

    body = "".join(node(view.node) for view in spec.sections())
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<{VALUES_PREFIX}:pep xmlns:{VALUES_PREFIX}="{VALUES_NS}">{body}</{VALUES_PREFIX}:pep>'
    )
