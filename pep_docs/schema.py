"""The PEP model: loading `schemas/pep.schema.json` and walking it.

Everything that needs to know the fields of a PEP (forms, extraction, validation, QA, reports,
pages) asks this module; nothing else keeps a list of fields. The walk turns the schema into a
tree of `Section`, `Group`, `Table` and `Field` nodes with the form hints of the `x-form`
annotation resolved (`by` and `prepopulated` are inherited from the enclosing object), and the
`x-qa` annotation (what the QA checker, the cohort report and next-term read a node as) kept on
each node and indexed by role.

Pointers: a concrete pointer names one value in a document (`/targets/0/target`); a field's
pattern pointer names the schema field, with `*` for array items (`/targets/*/target`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from pep_docs.errors import SchemaError


def _schema_dir() -> Path:
    """Where the schema files are: `pep_docs/_schemas/` in an installed wheel (setup.py builds
    the repository's `schemas/` in there), else `schemas/` at the root of a checkout."""
    package = Path(__file__).resolve().parent
    installed = package / "_schemas"
    return installed if installed.is_dir() else package.parent / "schemas"


SCHEMA_DIR = _schema_dir()
PEP_SCHEMA_PATH = SCHEMA_DIR / "pep.schema.json"

PHASES = ("early_years", "school_age", "post_16")
LEAF_WIDGETS = ("line", "paragraph", "date", "time", "number", "choice")
# A yes/no question is a choice between two labels rather than one tick box: on paper an
# unticked box looks the same as an unanswered one, a printed "No" does not.
YES_NO = (("true", "Yes"), ("false", "No"))
# The keys of the `x-qa` annotation (README, "QA roles"): `role` names the node for
# QA code (unique in the schema), `need` lists the target areas it is evidence of need for,
# `carry` keeps its prepopulated values in next term's PEP, `next_term` maps this term's value
# to next term's.
QA_KEYS = ("carry", "need", "next_term", "role")


@dataclass(frozen=True)
class Field:
    """A leaf of the PEP: one answer on the form."""

    pointer: str
    title: str
    description: str
    type: str
    widget: str
    by: tuple[str, ...]
    prepopulated: bool
    required: bool
    phases: frozenset[str] | None
    choices: tuple[tuple[str, str], ...] = ()
    format: str | None = None
    unit: str | None = None
    hidden: bool = False
    schema: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    qa: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def name(self) -> str:
        return self.pointer.rsplit("/", 1)[-1]

    @property
    def role(self) -> str | None:
        """The `x-qa` role QA code finds this field by."""
        return self.qa.get("role")

    @property
    def section(self) -> str:
        return self.pointer.split("/")[1]

    def choice_value(self, value: Any) -> str:
        """A value as its choice is keyed: a boolean as "true" or "false" (as XML stores it)."""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def label_for(self, value: Any) -> str:
        """The human label of a choice (the value itself when it has none)."""
        key = self.choice_value(value)
        return dict(self.choices).get(key, key)


@dataclass(frozen=True)
class Group:
    """An object inside a section (for example 'Next PEP meeting')."""

    pointer: str
    title: str
    description: str
    by: tuple[str, ...]
    prepopulated: bool
    required: bool
    phases: frozenset[str] | None
    children: tuple[Node, ...]
    qa: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def role(self) -> str | None:
        return self.qa.get("role")


@dataclass(frozen=True)
class Table:
    """An array of records: one row per item, `rows` empty rows offered on a blank form."""

    pointer: str
    title: str
    description: str
    by: tuple[str, ...]
    prepopulated: bool
    required: bool
    phases: frozenset[str] | None
    rows: int
    layout: str
    min_items: int
    columns: tuple[Field, ...]
    qa: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def role(self) -> str | None:
        return self.qa.get("role")


@dataclass(frozen=True)
class Section(Group):
    """A top-level object of the PEP: one section of the form."""

    @property
    def key(self) -> str:
        return self.pointer[1:]


Node = Field | Group | Table


def _phases(hints: Mapping[str, Any]) -> frozenset[str] | None:
    phases = hints.get("phases")
    return frozenset(phases) if phases else None


def _qa(sub: Mapping[str, Any], pointer: str, where: str | None) -> dict[str, Any]:
    """The node's own `x-qa` annotation (never inherited), its keys and their types checked."""
    qa = sub.get("x-qa", {})
    if not isinstance(qa, Mapping):
        raise SchemaError(f"x-qa at {pointer} is not an object", pointer=pointer, where=where)
    unknown = sorted(set(qa) - set(QA_KEYS))
    if unknown:
        raise SchemaError(
            f"x-qa at {pointer} takes only {', '.join(QA_KEYS)}; found {', '.join(unknown)}",
            pointer=pointer,
            where=where,
            hint="see the x-qa table in the README",
        )
    need = qa.get("need", [])
    wrong = [
        key
        for key, ok in (
            ("role", isinstance(qa.get("role", "-"), str) and qa.get("role") != ""),
            ("need", isinstance(need, list) and all(isinstance(a, str) for a in need)),
            ("carry", isinstance(qa.get("carry", True), bool)),
            ("next_term", isinstance(qa.get("next_term", {}), Mapping)),
        )
        if not ok
    ]
    if wrong:
        raise SchemaError(
            f"x-qa at {pointer}: {', '.join(wrong)} has the wrong type",
            pointer=pointer,
            where=where,
            hint="role is a name, need a list of target areas, carry true or false, "
            "next_term an object",
        )
    return dict(qa)


def _shows_in(node: Node, phase: str | None) -> bool:
    return phase is None or node.phases is None or phase in node.phases


class PepModel:
    """The walked PEP schema; `source` (the file it came from) is named in its errors."""

    def __init__(self, schema: Mapping[str, Any], source: str | None = None) -> None:
        self.schema = schema
        self.source = source
        self.id: str = schema["$id"]
        # The version the `$id` names (`.../pep/1.0.0/pep.schema.json`), as forms print it.
        version = re.search(r"/(\d+\.\d+\.\d+)/", self.id)
        self.version: str = version.group(1) if version else self.id
        self.title: str = schema.get("title", "Personal Education Plan")
        root_hints = schema.get("x-form", {})
        by = tuple(root_hints.get("by", ()))
        pre = bool(root_hints.get("prepopulated", False))
        required = set(schema.get("required", ()))
        header: list[Field] = []
        sections: list[Section | Table] = []
        for name, sub in schema["properties"].items():
            sub = self.resolve(sub)
            pointer = f"/{name}"
            if sub.get("type") == "object":
                group = self._group(sub, pointer, by, pre, name in required)
                sections.append(Section(**vars(group)))
            elif sub.get("type") == "array":
                sections.append(self._table(sub, pointer, by, pre, name in required))
            else:
                header.append(self._field(sub, pointer, by, pre, name in required))
        self.header: tuple[Field, ...] = tuple(header)
        self.sections: tuple[Section | Table, ...] = tuple(sections)
        self._by_pointer: dict[str, Node] = {}
        self._order: dict[str, int] = {}
        self.roles: dict[str, Node] = {}
        for i, node in enumerate(self.walk()):
            self._by_pointer[node.pointer] = node
            self._order[node.pointer] = i
            if node.role is None:
                continue
            if node.role in self.roles:
                first = self.roles[node.role].pointer
                raise SchemaError(
                    f"the x-qa role {node.role!r} is given to both {first} and {node.pointer}",
                    pointer=node.pointer,
                    where=source,
                    hint="a role names one node: keep it on one of them",
                )
            self.roles[node.role] = node

    # -- schema access -------------------------------------------------------------------

    def resolve(self, sub: Mapping[str, Any]) -> dict[str, Any]:
        """A subschema with a local `$ref` merged in; the use site's keywords win."""
        if "$ref" not in sub:
            return dict(sub)
        ref = sub["$ref"]
        if not ref.startswith("#/"):
            raise SchemaError(f"only local $ref is supported, found {ref!r}")
        target: Any = self.schema
        for part in ref[2:].split("/"):
            target = target[part]
        merged = dict(target)
        merged_hints = dict(target.get("x-form", {}))
        for key, value in sub.items():
            if key == "$ref":
                continue
            if key == "x-form":
                merged_hints.update(value)
            else:
                merged[key] = value
        merged["x-form"] = merged_hints
        return merged

    def _inherit(self, hints: Mapping[str, Any], by: tuple[str, ...], pre: bool):
        return tuple(hints.get("by", by)), bool(hints.get("prepopulated", pre))

    def _field(self, sub, pointer, by, pre, required) -> Field:
        hints = sub.get("x-form", {})
        by, pre = self._inherit(hints, by, pre)
        labels = hints.get("labels", {})
        if sub.get("type") == "boolean" and hints.get("widget") == "choice":
            choices = tuple((v, labels.get(v, shown)) for v, shown in YES_NO)
        else:
            choices = tuple((v, labels.get(v, v)) for v in sub.get("enum", ()))
        return Field(
            pointer=pointer,
            title=sub.get("title", ""),
            description=sub.get("description", ""),
            type=sub.get("type", ""),
            widget=hints.get("widget", ""),
            by=by,
            prepopulated=pre,
            required=required,
            phases=_phases(hints),
            choices=choices,
            format=sub.get("format"),
            unit=hints.get("unit"),
            hidden=bool(hints.get("hidden", False)),
            schema=sub,
            qa=_qa(sub, pointer, self.source),
        )

    def _children(self, sub, pointer, by, pre) -> tuple[Node, ...]:
        required = set(sub.get("required", ()))
        children: list[Node] = []
        for name, child in sub.get("properties", {}).items():
            child = self.resolve(child)
            cp = f"{pointer}/{name}"
            kind = child.get("type")
            if kind == "object":
                children.append(self._group(child, cp, by, pre, name in required))
            elif kind == "array":
                children.append(self._table(child, cp, by, pre, name in required))
            else:
                children.append(self._field(child, cp, by, pre, name in required))
        return tuple(children)

    def _group(self, sub, pointer, by, pre, required) -> Group:
        hints = sub.get("x-form", {})
        by, pre = self._inherit(hints, by, pre)
        return Group(
            pointer=pointer,
            title=sub.get("title", ""),
            description=sub.get("description", ""),
            by=by,
            prepopulated=pre,
            required=required,
            phases=_phases(hints),
            children=self._children(sub, pointer, by, pre),
            qa=_qa(sub, pointer, self.source),
        )

    def _table(self, sub, pointer, by, pre, required) -> Table:
        hints = sub.get("x-form", {})
        by, pre = self._inherit(hints, by, pre)
        item = self.resolve(sub.get("items", {}))
        columns = self._children(item, f"{pointer}/*", by, pre)
        if not all(isinstance(c, Field) for c in columns):
            raise SchemaError(f"table {pointer} may only hold plain fields", pointer=pointer)
        return Table(
            pointer=pointer,
            title=sub.get("title", ""),
            description=sub.get("description", ""),
            by=by,
            prepopulated=pre,
            required=required,
            phases=_phases(hints),
            rows=int(hints.get("rows", 0)),
            layout=hints.get("layout", "rows"),
            min_items=int(sub.get("minItems", 0)),
            columns=columns,  # type: ignore[arg-type]
            qa=_qa(sub, pointer, self.source),
        )

    # -- walking ---------------------------------------------------------------------------

    def walk(self, phase: str | None = None) -> Iterator[Node]:
        """Every node (header fields, sections, groups, tables, columns) in form order."""

        def visit(node: Node) -> Iterator[Node]:
            if not _shows_in(node, phase):
                return
            yield node
            if isinstance(node, Group):
                for child in node.children:
                    yield from visit(child)
            elif isinstance(node, Table):
                for column in node.columns:
                    yield from visit(column)

        for f in self.header:
            yield from visit(f)
        for section in self.sections:
            yield from visit(section)

    def fields(self, phase: str | None = None) -> Iterator[Field]:
        """Every leaf field, in form order, for one phase or for all."""
        return (n for n in self.walk(phase) if isinstance(n, Field))

    def node(self, pointer: str) -> Node:
        """The node a pattern or concrete pointer names (array indexes become `*`)."""
        pattern = pattern_pointer(pointer)
        try:
            return self._by_pointer[pattern]
        except KeyError:
            raise SchemaError(
                f"{pointer!r} is not a field of the PEP schema",
                pointer=pointer,
                hint="run `pep-docs schema` to see the fields",
            ) from None

    def rank(self, pointer: str) -> tuple[int, str]:
        """A sort key putting concrete pointers in the order the form shows them."""
        return self._order.get(pattern_pointer(pointer), len(self._order)), pointer

    def has(self, pointer: str) -> bool:
        return pattern_pointer(pointer) in self._by_pointer

    def get(self, pointer: str) -> Node | None:
        """`node(pointer)`, or None where `has(pointer)` is False (one look-up for both)."""
        return self._by_pointer.get(pattern_pointer(pointer))

    def id_for(self, version: str) -> str:
        """The `$id` of another version of this schema, as a form printing that version names
        it (`1.0.0` -> `.../pep/1.0.0/pep.schema.json`)."""
        if version == self.version or self.version == self.id:
            return self.id
        return self.id.replace(f"/{self.version}/", f"/{version}/", 1)

    def describe(self, pointer: str, section_titles: Mapping[str, str] | None = None) -> str:
        """Where a value sits, in the words of the form.

        `/child_views/going_well` -> "Child's views: 'What is going well?'";
        `/targets/1/by_when` -> "SMART targets, target 2: 'By when'". `section_titles` carries an
        authority's own section names ("Section C, Child's views").
        """
        titles = section_titles or {}
        parts = [p for p in pointer.split("/")[1:]]
        if not parts:
            return "The PEP"
        trail: list[str] = []
        walked = ""
        leaf_title = None
        for i, part in enumerate(parts):
            if part.isdigit():
                walked += "/*"
                trail[-1] = f"{trail[-1]}, {_row_word(walked)} {int(part) + 1}"
                continue
            walked += f"/{part}"
            node = self._by_pointer.get(walked)
            if node is None:
                leaf_title = part
                break
            if i == 0 and walked[1:] in titles:
                title = titles[walked[1:]]
            else:
                title = node.title
            if isinstance(node, Field):
                leaf_title = title
            else:
                trail.append(title)
        text = ", ".join(trail) if trail else ""
        if leaf_title is not None:
            quoted = f"'{leaf_title}'"
            return f"{text}: {quoted}" if text else quoted
        return text


def _row_word(table_pattern: str) -> str:
    return "target" if table_pattern.endswith("targets/*") else "row"


_INDEX = re.compile(r"/\d+(?=/|$)")


@lru_cache(maxsize=1 << 16)
def pattern_pointer(pointer: str) -> str:
    """`/targets/0/target` -> `/targets/*/target`."""
    return _INDEX.sub("/*", pointer)


def escape_token(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def get_pointer(document: Any, pointer: str, default: Any = None) -> Any:
    """The value a concrete pointer names in a document, or `default`."""
    node = document
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            if not token.isdigit() or int(token) >= len(node):
                return default
            node = node[int(token)]
        elif isinstance(node, Mapping):
            if token not in node:
                return default
            node = node[token]
        else:
            return default
    return node


def set_pointer(document: dict[str, Any], pointer: str, value: Any) -> None:
    """Set a value at a concrete pointer, creating objects and list items on the way."""
    tokens = pointer.split("/")[1:]
    node: Any = document
    for token, nxt in zip(tokens, tokens[1:], strict=False):
        if isinstance(node, list):
            index = int(token)
            while len(node) <= index:
                node.append({} if not nxt.isdigit() else [])
            if node[index] is None:
                node[index] = [] if nxt.isdigit() else {}
            node = node[index]
        elif token in node:
            node = node[token]
        else:  # (not setdefault: that would make an empty container at every step)
            child: Any = [] if nxt.isdigit() else {}
            node[token] = child
            node = child
    last = tokens[-1]
    if isinstance(node, list):
        index = int(last)
        while len(node) <= index:
            node.append(None)
        node[index] = value
    else:
        node[last] = value


def iter_values(
    document: Mapping[str, Any], model: PepModel | None = None
) -> Iterator[tuple[str, Any]]:
    """Every (concrete pointer, value) of the document's leaf fields, in form order."""
    model = model or load_model()

    def visit(node: Node, base: Any, prefix: str) -> Iterator[tuple[str, Any]]:
        name = node.pointer.rsplit("/", 1)[-1]
        if not isinstance(base, Mapping) or name not in base:
            return
        value = base[name]
        pointer = f"{prefix}/{name}"
        if isinstance(node, Field):
            yield pointer, value
        elif isinstance(node, Group):
            for child in node.children:
                yield from visit(child, value, pointer)
        elif isinstance(node, Table) and isinstance(value, list):
            for i, row in enumerate(value):
                for column in node.columns:
                    yield from visit(column, row, f"{pointer}/{i}")

    for f in model.header:
        yield from visit(f, document, "")
    for section in model.sections:
        yield from visit(section, document, "")


@cache
def load_schema(path: Path = PEP_SCHEMA_PATH) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SchemaError(f"cannot read the PEP schema: {exc}", where=str(path)) from exc


@cache
def load_model(path: Path = PEP_SCHEMA_PATH) -> PepModel:
    """The walked PEP schema (walked once per process)."""
    return PepModel(load_schema(path), source=str(path))
