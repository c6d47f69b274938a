"""Content controls (w:sdt) of the Word form, written as Jinja-in-OOXML source.

Each function returns template source: OOXML with Jinja expressions in text and attribute
values only, so the source is itself well-formed XML (docxtpl parses it with python-docx before
rendering). Where a value goes, the source reads it from the render context:

- `d[pointer]`: the value as the form shows it (`FormSpec.display`), '' or undefined when unknown;
- `x[pointer]`: the value as stored in the custom XML part (ISO date, enum value, 'true'/'false',
  the text itself);
- `n[table pointer]`: the row indexes a table prints.

A pointer is either static (`/meeting/venue`) or, inside a table's row loop, built from the loop
variable `i`; `Slot` carries both spellings.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from xml.sax.saxutils import escape

from pep_docs.schema import Field, pattern_pointer

VALUES_NS = "urn:pep-docs:values:1"
VALUES_PREFIX = "pv"
# Store item ids of the two custom XML parts: constant, since each names a part inside one file.
VALUES_STORE_ID = "{6C1E1E0A-5E8B-4C1B-9C52-0F3A5B1D7E01}"
IDENTITY_STORE_ID = "{6C1E1E0A-5E8B-4C1B-9C52-0F3A5B1D7E02}"

DATE_FORMAT = "dd/MM/yyyy"
LANGUAGE = "en-GB"
BOOKMARK_MAX = 40  # Word's limit on bookmark names

_BRACES = re.compile(r"[{}]")


def text(value: str) -> str:
    """Static text for template source: XML-escaped, and braces kept away from Jinja."""
    escaped = escape(value, {'"': "&quot;"})
    return _BRACES.sub(lambda m: "{{ '" + m.group(0) + "' }}", escaped)


def bookmark_name(pointer: str) -> str:
    """The bookmark around a field's control, derived from its concrete pointer.

    `pep` + the pointer with `/` as `_` (`/targets/0/target` -> `pep_targets_0_target`) when
    that fits Word's 40 characters for every row a table can have (indexes up to 999);
    otherwise `pep_` + 10 hex digits of the SHA-1 of the pattern pointer + `_<index>` per array
    index. A reader maps names back by computing this for the pointers it expects.
    """
    pattern = pattern_pointer(pointer)
    widest = "pep" + pattern.replace("/", "_").replace("*", "999")
    if len(widest) <= BOOKMARK_MAX and re.fullmatch(r"[A-Za-z0-9_]+", widest):
        return "pep" + pointer.replace("/", "_")
    digest = hashlib.sha1(pattern.encode("utf-8")).hexdigest()[:10]
    indexes = [t for t in pointer.split("/")[1:] if t.isdigit()]
    return "pep_" + digest + "".join(f"_{i}" for i in indexes)


def xpath(pointer: str) -> str:
    """XPath of a pointer's element in the values part: arrays hold `pv:item` elements."""
    return f"/{VALUES_PREFIX}:pep[1]" + _steps(pointer)


def _steps(pointer: str) -> str:
    steps = []
    for token in pointer.split("/")[1:]:
        if token.isdigit():
            steps.append(f"/{VALUES_PREFIX}:item[{int(token) + 1}]")
        else:
            steps.append(f"/{VALUES_PREFIX}:{token}[1]")
    return "".join(steps)


@dataclass(frozen=True)
class Slot:
    """Where one control sits: its pointer as source text and as a Jinja expression."""

    pointer: str  # source text, may contain `{{ i }}`
    expr: str  # Jinja expression giving the concrete pointer
    xpath: str  # source text
    bookmark: str  # source text
    bookmark_id: str  # source text

    @classmethod
    def static(cls, pointer: str, bookmark_id: int) -> Slot:
        return cls(
            pointer, f"'{pointer}'", xpath(pointer), bookmark_name(pointer), str(bookmark_id)
        )

    @classmethod
    def in_row(cls, pattern: str, id_base: int) -> Slot:
        """A column's slot inside `{% for i in ... %}`: `*` becomes the row index `i`."""
        head, tail = pattern.split("/*", 1)
        first = pattern.replace("*", "0")
        name = bookmark_name(first)
        if name == "pep" + first.replace("/", "_"):
            bookmark = "pep" + (head + "/{{ i }}" + tail).replace("/", "_")
        else:
            bookmark = name.removesuffix("_0") + "_{{ i }}"
        row_xpath = xpath(head) + f"/{VALUES_PREFIX}:item[{{{{ i + 1 }}}}]" + _steps(tail)
        return cls(
            pointer=f"{head}/{{{{ i }}}}{tail}",
            expr=f"'{head}/' ~ i ~ '{tail}'",
            xpath=row_xpath,
            bookmark=bookmark,
            bookmark_id=f"{{{{ {id_base} + i }}}}",
        )


def label(f: Field) -> str:
    """A field's label as the form prints it: its title, with its unit unless already there."""
    return f"{f.title} ({f.unit})" if f.unit and f.unit not in f.title else f.title


def placeholder(f: Field) -> str:
    """What an empty control shows: the field's guidance in square brackets.

    Word shows it grey and italic (PlaceholderText) and removes it when typing starts;
    LibreOffice 7.4 prints plain-text controls without their character style, so the brackets
    are what keeps guidance from reading as an answer there.
    """
    return f"[{f.description or f.title}]"


def control(f: Field, slot: Slot) -> str:
    """One run-level content control with its bookmark, for use inside a `w:p`."""
    guidance = text(placeholder(f))
    alias = text(label(f))
    kind = _kind(f, slot)
    content = (
        "{% if v %}" + _value_runs(f) + "{% else %}"
        '<w:r><w:rPr><w:rStyle w:val="PlaceholderText"/></w:rPr>'
        f'<w:t xml:space="preserve">{guidance}</w:t></w:r>'
        "{% endif %}"
    )
    placeholder_flag = "{% if not v %}<w:showingPlcHdr/>{% endif %}"
    return (
        f"{{% set v = d[{slot.expr}] %}}"
        f'<w:bookmarkStart w:id="{slot.bookmark_id}" w:name="{slot.bookmark}"/>'
        "<w:sdt><w:sdtPr>"
        f'<w:alias w:val="{alias}"/><w:tag w:val="{slot.pointer}"/>'
        '<w:lock w:val="sdtLocked"/>'
        f"{placeholder_flag}"
        f"<w:dataBinding w:prefixMappings=\"xmlns:{VALUES_PREFIX}='{VALUES_NS}'\" "
        f'w:xpath="{slot.xpath}" w:storeItemID="{VALUES_STORE_ID}"/>'
        f"{kind}</w:sdtPr><w:sdtContent>{content}</w:sdtContent></w:sdt>"
        f'<w:bookmarkEnd w:id="{slot.bookmark_id}"/>'
    )


def _kind(f: Field, slot: Slot) -> str:
    if f.widget == "date":
        inner = (
            f'<w:dateFormat w:val="{DATE_FORMAT}"/><w:lid w:val="{LANGUAGE}"/>'
            '<w:storeMappedDataAs w:val="date"/><w:calendar w:val="gregorian"/>'
        )
        return (
            f'{{% if v %}}<w:date w:fullDate="{{{{ x[{slot.expr}] }}}}T00:00:00Z">{inner}</w:date>'
            f"{{% else %}}<w:date>{inner}</w:date>{{% endif %}}"
        )
    if f.widget == "choice":
        items = "".join(
            f'<w:listItem w:displayText="{text(shown)}" w:value="{text(value)}"/>'
            for value, shown in f.choices
        )
        return (
            f'<w:dropDownList><w:listItem w:displayText="Choose an item." w:value=""/>{items}'
            "</w:dropDownList>"
        )
    if f.widget == "paragraph":
        return '<w:text w:multiLine="1"/>'
    return "<w:text/>"


def _value_runs(f: Field) -> str:
    if f.widget == "paragraph":
        return (
            "<w:r>{% for line in v | lines %}{% if not loop.first %}<w:br/>{% endif %}"
            '<w:t xml:space="preserve">{{ line }}</w:t>{% endfor %}</w:r>'
        )
    return '<w:r><w:t xml:space="preserve">{{ v }}</w:t></w:r>'
