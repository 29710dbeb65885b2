"""What a parsed form is: a tree of ``Component`` nodes, the ``Field`` list, the ``Form``.

The page renderer walks ``Form.components`` in order::

    for node in form.components:
        node.kind == "field"   -> one input (node.type: textfield, textarea, number, checkbox,
                                  checklist, radio, select, datetime); name it by node.path
        node.kind == "group"   -> a fieldset (legend node.label) around node.children;
                                  node.key is its ``path`` or None (children flatten)
        node.kind == "list"    -> a dynamiclist ("add another"): node.children repeat per item;
                                  item i's child inputs are named path "actions[i].owner"
        node.kind == "text"    -> static markdown in node.text
        node.kind == "layout"  -> separator / spacer (presentation only; may be skipped)

    node.hide (an ``Expression`` or None) is ``conditional.hide``: the component is hidden when
    ``node.hide.is_true(data)``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    from .feel import Expression

FIELD_TYPES = frozenset({"textfield", "textarea", "number", "checkbox", "checklist", "radio", "select", "datetime"})
OPTION_TYPES = frozenset({"checklist", "radio", "select"})
LAYOUT_TYPES = frozenset({"separator", "spacer"})


@dataclass(frozen=True, eq=False)
class Component:
    """One node of the component tree.

    type        form-js type ("textfield", "group", "dynamiclist", "text", ...)
    kind        "field" | "group" | "list" | "text" | "layout"
    id          the form-js component id ("Field_0x1abc"), or None
    key         the data key inside the enclosing scope: a field's ``key``, a group's or a
                dynamiclist's ``path`` (may be dotted: "meeting.date"); None when no data
    path        full data path: "decision", "meeting.date", "actions", "actions[].owner";
                "[]" marks "each item of the list"; None when no data
    label       the label (datetime: ``dateLabel``, or ``timeLabel`` for subtype "time")
    description the hint text, or None
    required    ``validate.required``
    options     ((value, label), ...) for radio / select / checklist
    subtype     datetime subtype: "date" | "datetime" | "time"; else None
    hide        parsed ``conditional.hide`` (``Expression``) or None
    readonly    ``readonly`` or ``disabled`` is set: shown, never taken from a submission
    children    child nodes of a group or dynamiclist
    text        the markdown of a text component
    raw         the component's JSON as written
    """

    type: str
    kind: str
    id: str | None
    key: str | None
    path: str | None
    label: str
    description: str | None = None
    required: bool = False
    options: tuple[tuple[str, str], ...] = ()
    subtype: str | None = None
    hide: "Expression | None" = None
    readonly: bool = False
    children: tuple["Component", ...] = ()
    text: str | None = None
    raw: dict = field(default_factory=dict, repr=False)

    @property
    def validate(self) -> dict:
        """The raw ``validate`` object ({} when absent)."""
        rules = self.raw.get("validate")
        return rules if isinstance(rules, dict) else {}

    def walk(self) -> Iterator["Component"]:
        """This node and every descendant, depth-first in form order."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class Field:
    """One data-bearing field, for catalog checks and the web renderer."""

    key: str  # full data path: "decision", "meeting.date", "actions", "actions[].owner"
    type: str
    label: str
    required: bool
    options: tuple[tuple[str, str], ...]  # (value, label)
    component: dict = field(repr=False, compare=False)  # the raw component


@dataclass(frozen=True)
class Form:
    """A parsed Camunda form. ``components`` is a tuple of ``Component`` (see module doc)."""

    id: str
    schema: dict = field(repr=False, compare=False)
    components: tuple = field(repr=False, compare=False)
    filename: str | None = field(default=None, compare=False)

    def walk(self) -> Iterator[Component]:
        """Every component node, depth-first in form order."""
        for node in self.components:
            yield from node.walk()

    def fields(self) -> list[Field]:
        """Every data-bearing field, depth-first; a dynamiclist is itself a field ("actions")
        and its children are "actions[].owner"."""
        return [
            Field(node.path, node.type, node.label, node.required, node.options, node.raw)
            for node in self.walk()
            if node.kind in ("field", "list")
        ]

    def field_keys(self) -> set[str]:
        """The top-level data keys this form produces, e.g. {"decision", "actions", "meeting"}."""
        keys: set[str] = set()
        for node in self.walk():
            if node.kind in ("field", "list", "group") and node.path and "[]" not in node.path:
                keys.add(node.path.split(".", 1)[0])
        return keys

    def conditions(self) -> list[tuple[Component, "Expression"]]:
        """Every (component, conditional.hide expression), for checking the names it reads."""
        return [(node, node.hide) for node in self.walk() if node.hide is not None]

    def component(self, path: str) -> Component | None:
        """The node whose data path is ``path`` ("meeting.date", "actions[].owner"), or None."""
        return next((node for node in self.walk() if node.path == path), None)
