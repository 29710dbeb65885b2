"""Find every expression in BPMN and DMN documents and refuse those the evaluator would not run.

Walking the XML (not the parsed specs) gives each expression its element id and line, which is
what a process owner needs to find it in Camunda Modeler.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from lxml import etree

from engine import expressions

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"


@dataclass(frozen=True)
class Expression:
    element_id: str
    line: int
    what: str
    source: str
    mode: str = "eval"


def _owner(node: etree._Element) -> etree._Element:
    """The element a process owner can select in the modeller: an event, not its definition."""
    while node is not None and (node.get("id") is None or etree.QName(node).localname.endswith("EventDefinition")):
        node = node.getparent()
    return node


def _entry(node: etree._Element, what: str, mode: str = "eval") -> Expression | None:
    # Scripts keep their indentation: stripping only the first line would misalign the rest.
    text = (node.text or "") if mode == "exec" else (node.text or "").strip()
    if not text.strip():
        return None
    owner = _owner(node)
    return Expression(owner.get("id") if owner is not None else "?", node.sourceline or 0, what, text, mode)


def bpmn_expressions(root: etree._Element) -> Iterator[Expression]:
    ns = {"bpmn": BPMN, "camunda": CAMUNDA}
    simple = {
        ".//bpmn:conditionExpression": "condition",
        ".//bpmn:timeDuration": "timer duration",
        ".//bpmn:timeDate": "timer date",
        ".//bpmn:timeCycle": "timer cycle",
        ".//bpmn:loopCardinality": "loop cardinality",
        ".//bpmn:completionCondition": "completion condition",
        ".//bpmn:loopCondition": "loop condition",
        ".//bpmn:conditionalEventDefinition/bpmn:condition": "event condition",
    }
    for path, what in simple.items():
        for node in root.iterfind(path, ns):
            if (found := _entry(node, what)) is not None:
                yield found
    for node in root.iterfind(".//bpmn:scriptTask/bpmn:script", ns):
        if (found := _entry(node, "script", "exec")) is not None:
            yield found
    for node in root.iterfind(".//bpmn:messageEventDefinition", ns):
        if (expression := node.get("{%s}expression" % CAMUNDA)):
            yield Expression(_owner(node).get("id"), node.sourceline or 0, "message payload", expression)
    for node in root.iterfind(".//bpmn:userTask", ns):
        if (due := node.get("{%s}dueDate" % CAMUNDA)):
            yield Expression(node.get("id"), node.sourceline or 0, "due date", due.strip())


_QUESTION = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")


def dmn_expressions(root: etree._Element) -> Iterator[Expression]:
    """DMN cells are combined with their column's input expression the way SpiffWorkflow does."""
    dmn_ns = root.nsmap.get(None) or root.nsmap.get("dmn")
    ns = {"dmn": dmn_ns}
    for table in root.iterfind(".//dmn:decisionTable", ns):
        inputs = []
        for node in table.iterfind("dmn:input", ns):
            expression = node.find("dmn:inputExpression/dmn:text", ns)
            text = (expression.text or "").strip() if expression is not None else ""
            inputs.append(text)
            if text:
                yield Expression(node.get("id"), expression.sourceline or 0, "decision input", text)
        for rule in table.iterfind("dmn:rule", ns):
            for column, cell in enumerate(rule.iterfind("dmn:inputEntry", ns)):
                text = (cell.findtext("dmn:text", default="", namespaces=ns) or "").strip()
                if text in ("", "-"):
                    continue
                input_text = inputs[column] if column < len(inputs) else "x"
                yield Expression(cell.get("id") or rule.get("id"), cell.sourceline or 0, "decision rule", _combine(input_text or "x", text))
            for cell in rule.iterfind("dmn:outputEntry", ns):
                text = (cell.findtext("dmn:text", default="", namespaces=ns) or "").strip()
                if text:
                    yield Expression(cell.get("id") or rule.get("id"), cell.sourceline or 0, "decision output", text)


def _combine(input_text: str, cell: str) -> str:
    if _QUESTION.search(cell):
        return _QUESTION.sub(f"({input_text})", cell)
    try:
        compile(cell, "<dmn>", "eval")
        return f"({input_text}) == ({cell})"
    except SyntaxError:
        return f"{input_text} {cell}"


def problems(found: Iterator[Expression]) -> Iterator[tuple[Expression, str]]:
    for expression in found:
        try:
            expressions.check(expression.source, expression.mode)
        except expressions.ExpressionError as error:
            yield expression, error.reason


def space_word_operators(spec) -> None:
    """SpiffWorkflow joins a DMN cell to its input with no space, so `in ["a", "b"]` would become
    `levelin [...]`; give such cells the space a person would expect (the cell text is unchanged
    in the file, only the stored spec)."""
    for task_spec in spec.task_specs.values():
        engine = getattr(task_spec, "dmnEngine", None)
        if engine is None:
            continue
        for rule in engine.decision_table.rules:
            for entry in rule.inputEntries:
                entry.lhs = [_spaced(cell) for cell in entry.lhs]


def _spaced(cell):
    if not cell or not cell[0].isalpha():
        return cell
    try:
        compile(cell, "<dmn>", "eval")
        return cell
    except SyntaxError:
        return " " + cell
