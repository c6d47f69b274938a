"""Where the checker, the cohort report and next-term find things in a PEP.

Nothing here names a field: the schema's `x-qa` annotations do (README, "The `x-qa`
annotation"). QA code asks for a node by its role (`meeting.date`, `target.text`); `QaFields`
walks the model once, and fails loudly when a role the code needs is missing, sits on the wrong
kind of node, or a column role is not in its table, rather than quietly matching nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from pep_docs.errors import SchemaError
from pep_docs.schema import Field, Group, Node, PepModel, Table, load_model

# Every role QA code asks for, with the kind of node it must be; a column role gives the role of
# the table it must be a column of.
NEEDED_ROLES: Mapping[str, type | str] = {
    "phase": Field,
    "term": Field,
    "authority": Field,
    "child_id": Field,
    "date_of_birth": Field,
    "year_group": Field,
    "school": Field,
    "meeting": Group,
    "meeting.type": Field,
    "meeting.date": Field,
    "next_meeting": Group,
    "next_meeting.date": Field,
    "attendees": Table,
    "attendee.name": "attendees",
    "attendee.role": "attendees",
    "attendee.attendance": "attendees",
    "targets": Table,
    "target.area": "targets",
    "target.text": "targets",
    "target.measure": "targets",
    "target.by_when": "targets",
    "target.actions": "targets",
    "target.ppp_amount": "targets",
    "previous_targets": Table,
    "attendance.term_percent": Field,
    "sdq.score": Field,
    "reading_age.years": Field,
    "reading_age.months": Field,
    "reading_age.test_date": Field,
    "ppp.request_amount": Field,
    "ppp.request_purpose": Field,
    # The Virtual School's own record of its QA, which the service offers to fill in.
    "qa.date_received": Field,
    "qa.reviewer": Field,
    "qa.date": Field,
    "qa.rating": Field,
    "qa.amendments": Field,
    "qa.feedback": Field,
}


def _resolve(model: PepModel, role: str, kind: type | str) -> Node:
    """The node with `role`, checked to be the kind of node QA code reads it as."""
    node = model.roles.get(role)
    if node is None:
        raise SchemaError(
            f"nothing in the PEP schema has the x-qa role {role!r}, which the QA checker needs",
            where=model.source,
            hint=f'add "x-qa": {{"role": "{role}"}} to the field; see docs/qa.md',
        )
    if isinstance(kind, str):
        table = model.roles.get(kind)
        table_pointer = table.pointer if table is not None else "missing"
        if not isinstance(table, Table) or node.pointer.rsplit("/", 1)[0] != f"{table.pointer}/*":
            raise SchemaError(
                f"the x-qa role {role!r} must be a column of the {kind!r} table "
                f"({table_pointer}), not {node.pointer}",
                pointer=node.pointer,
                where=model.source,
                hint=f"move the role to a column of {table_pointer}",
            )
    elif not isinstance(node, kind):
        raise SchemaError(
            f"the x-qa role {role!r} must be on a {_kind_name(kind)}, "
            f"not the {_kind_name(type(node))} {node.pointer}",
            pointer=node.pointer,
            where=model.source,
        )
    return node


def _kind_name(kind: type) -> str:
    return "field" if kind is Field else "table" if kind is Table else "group"


def _needs(model: PepModel, areas: Node) -> dict[str, tuple[str, ...]]:
    """Evidence of need per target area: the nodes whose `need` names it, in form order."""
    known = [value for value, _ in areas.choices] if isinstance(areas, Field) else []
    needs: dict[str, list[str]] = {area: [] for area in known}
    for node in model.walk():
        for area in node.qa.get("need", ()):
            if area not in needs:
                raise SchemaError(
                    f"x-qa need names {area!r} at {node.pointer}, which is not a target area "
                    f"({areas.pointer})",
                    pointer=node.pointer,
                    where=model.source,
                    hint=f"use one of: {', '.join(known)}",
                )
            needs[area].append(node.pointer)
    return {area: tuple(pointers) for area, pointers in needs.items()}


def _check_next_term(model: PepModel) -> None:
    """A `next_term` change may only name values of the field's own enum."""
    for node in model.walk():
        changes = node.qa.get("next_term", {})
        values = [value for value, _ in node.choices] if isinstance(node, Field) else []
        odd = [v for pair in changes.items() for v in pair if v not in values]
        if odd:
            raise SchemaError(
                f"x-qa next_term at {node.pointer} names {', '.join(map(repr, odd))}, which the "
                "field cannot hold",
                pointer=node.pointer,
                where=model.source,
                hint=f"use values of its enum: {', '.join(values) or 'none'}",
            )


class QaFields:
    """The model's `x-qa` annotations resolved into what QA code reads."""

    def __init__(self, model: PepModel) -> None:
        self.model = model
        self.nodes: dict[str, Node] = {
            role: _resolve(model, role, kind) for role, kind in NEEDED_ROLES.items()
        }
        self.needs = _needs(model, self.nodes["target.area"])
        self.carry: tuple[str, ...] = tuple(n.pointer for n in model.walk() if n.qa.get("carry"))
        _check_next_term(model)

    def node(self, role: str) -> Node:
        return self.nodes[role]

    def pointer(self, role: str) -> str:
        """The pattern pointer of the node with `role` (`/targets/*/by_when`)."""
        return self.nodes[role].pointer

    def column(self, role: str) -> str:
        """The key a table row holds the column with `role` under (`by_when`)."""
        return self.nodes[role].pointer.rsplit("/", 1)[-1]

    def next_term_values(self, role: str) -> Mapping[str, Any]:
        """What this term's value becomes next term (`initial` -> `review`); others stay."""
        return self.nodes[role].qa.get("next_term", {})


@cache
def load_qa_fields(model: PepModel | None = None) -> QaFields:
    """The QA roles of the PEP schema (resolved once per model)."""
    return QaFields(model or load_model())
