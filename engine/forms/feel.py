"""The small FEEL subset allowed in a form's ``conditional.hide``.

Supported: comparisons ``= != < <= > >=``, ``and``, ``or``, ``not(...)``, parentheses,
literals (double-quoted strings, numbers, ``true``, ``false``, ``null``) and field names
(``decision``, dotted paths such as ``meeting.date``). Everything else (arithmetic, other
functions, ``in``, ``if``, ``some``/``every``, lists, contexts, ranges...) is refused when the
expression is parsed, with a message naming the expression.

Evaluation follows FEEL's three-valued logic: comparing values of different types gives
``null``; ``and``/``or``/``not`` treat non-booleans as ``null``; a missing name is ``null``.
Evaluation never raises.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Union

__all__ = ["FeelError", "Expression", "parse", "is_true"]

MAX_LENGTH = 2000
MAX_DEPTH = 40


class FeelError(ValueError):
    """An expression outside the supported subset, or not well formed."""


# --- AST -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Literal:
    value: Any  # None, bool, str or Decimal


@dataclass(frozen=True)
class Name:
    path: tuple[str, ...]  # ("meeting", "date") for meeting.date


@dataclass(frozen=True)
class Compare:
    op: str  # one of = != < <= > >=
    left: "Node"
    right: "Node"


@dataclass(frozen=True)
class And:
    left: "Node"
    right: "Node"


@dataclass(frozen=True)
class Or:
    left: "Node"
    right: "Node"


@dataclass(frozen=True)
class Not:
    operand: "Node"


Node = Union[Literal, Name, Compare, And, Or, Not]


@dataclass(frozen=True)
class Expression:
    """A parsed expression. ``source`` is as written, including the leading ``=``."""

    source: str
    ast: Node

    def evaluate(self, data: Mapping[str, Any]) -> Any:
        """The FEEL value (True, False, None, a str, a Decimal, ...) against ``data``."""
        return _evaluate(self.ast, data)

    def is_true(self, data: Mapping[str, Any]) -> bool:
        """True only when the expression evaluates to ``true`` (``null`` is not true)."""
        return self.evaluate(data) is True

    @property
    def names(self) -> frozenset[str]:
        """The dotted names the expression reads, e.g. {"consent", "meeting.date"}."""
        found: set[str] = set()
        _names(self.ast, found)
        return frozenset(found)


def is_true(value: Any) -> bool:
    return value is True


# --- tokenizer -------------------------------------------------------------------------

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>\d+(?:\.\d+)?|\.\d+)
  | (?P<string>")
  | (?P<name>""" + _IDENT + r"(?:\." + _IDENT + r""")*)
  | (?P<op><=|>=|!=|=|<|>)
  | (?P<paren>[()])
  | (?P<minus>-)
  | (?P<arith>\*\*|[+*/])
  | (?P<bracket>[\[\]{}])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

_KEYWORDS = {"true", "false", "null", "and", "or", "not"}
_REFUSED_WORDS = {
    "in": "'in' (list membership) is not supported",
    "if": "'if' expressions are not supported",
    "then": "'if' expressions are not supported",
    "else": "'if' expressions are not supported",
    "some": "'some' expressions are not supported",
    "every": "'every' expressions are not supported",
    "satisfies": "quantified expressions are not supported",
    "for": "'for' expressions are not supported",
    "return": "'for' expressions are not supported",
    "between": "'between' is not supported",
    "instance": "'instance of' is not supported",
    "of": "'instance of' is not supported",
    "function": "function definitions are not supported",
}
_ESCAPES = {'"': '"', "\\": "\\", "'": "'", "n": "\n", "r": "\r", "t": "\t"}


@dataclass(frozen=True)
class _Token:
    kind: str  # number string name keyword op lparen rparen end
    value: Any
    pos: int


class _Refuse(Exception):
    def __init__(self, reason: str):
        self.reason = reason


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        assert match is not None  # the last alternative matches any character
        kind = match.lastgroup
        lexeme = match.group()
        if kind == "ws":
            pass
        elif kind == "number":
            tokens.append(_Token("number", Decimal(lexeme), pos))
        elif kind == "string":
            value, end = _read_string(text, pos)
            tokens.append(_Token("string", value, pos))
            pos = end
            continue
        elif kind == "name":
            if lexeme in _KEYWORDS:
                tokens.append(_Token("keyword", lexeme, pos))
            else:
                for part in lexeme.split("."):
                    if part in _REFUSED_WORDS:
                        raise _Refuse(_REFUSED_WORDS[part])
                    if part in _KEYWORDS:
                        raise _Refuse(f"'{part}' cannot be part of a field name")
                tokens.append(_Token("name", tuple(lexeme.split(".")), pos))
        elif kind == "op":
            tokens.append(_Token("op", lexeme, pos))
        elif kind == "paren":
            tokens.append(_Token("lparen" if lexeme == "(" else "rparen", lexeme, pos))
        elif kind == "minus":  # a negative number where an operand starts; else subtraction
            after = _TOKEN.match(text, pos + 1)
            if _operand_expected(tokens) and after and after.lastgroup == "number":
                tokens.append(_Token("number", -Decimal(after.group()), pos))
                pos = after.end()
                continue
            raise _Refuse("arithmetic is not supported")
        elif kind == "arith":
            raise _Refuse("arithmetic is not supported")
        elif kind == "bracket":
            raise _Refuse("lists, contexts and ranges are not supported")
        elif lexeme == ",":
            raise _Refuse("unexpected ',' (only not(...) may be called, with one argument)")
        elif lexeme == "'":
            raise _Refuse("strings take double quotes")
        else:
            raise _Refuse(f"unexpected character {lexeme!r} at position {pos + 1}")
        pos = match.end()
    tokens.append(_Token("end", None, len(text)))
    return tokens


def _operand_expected(tokens: list[_Token]) -> bool:
    if not tokens:
        return True
    last = tokens[-1]
    return last.kind in ("op", "lparen") or (last.kind == "keyword" and last.value in ("and", "or"))


def _read_string(text: str, start: int) -> tuple[str, int]:
    out: list[str] = []
    pos = start + 1
    while pos < len(text):
        char = text[pos]
        if char == '"':
            return "".join(out), pos + 1
        if char == "\\":
            escaped = text[pos + 1: pos + 2]
            if escaped not in _ESCAPES:
                raise _Refuse(f"unsupported escape '\\{escaped}' in a string")
            out.append(_ESCAPES[escaped])
            pos += 2
            continue
        out.append(char)
        pos += 1
    raise _Refuse("a string is not closed (missing '\"')")


# --- parser ----------------------------------------------------------------------------

class _Parser:
    """or := and ('or' and)* ; and := cmp ('and' cmp)* ; cmp := unary (op unary)? ;
    unary := 'not' '(' or ')' | primary ; primary := literal | name | '(' or ')'"""

    def __init__(self, tokens: list[_Token]):
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at_keyword(self, word: str) -> bool:
        return self.token.kind == "keyword" and self.token.value == word

    def parse(self) -> Node:
        node = self.disjunction()
        if self.token.kind != "end":
            raise _Refuse(f"unexpected {_describe(self.token)}")
        return node

    def disjunction(self) -> Node:
        node = self.conjunction()
        while self.at_keyword("or"):
            self.advance()
            node = Or(node, self.conjunction())
        return node

    def conjunction(self) -> Node:
        node = self.comparison()
        while self.at_keyword("and"):
            self.advance()
            node = And(node, self.comparison())
        return node

    def comparison(self) -> Node:
        node = self.unary()
        if self.token.kind == "op":
            op = self.advance().value
            node = Compare(op, node, self.unary())
            if self.token.kind == "op":
                raise _Refuse("chained comparisons are not supported: add parentheses")
        return node

    def unary(self) -> Node:
        if self.at_keyword("not"):
            self.advance()
            if self.token.kind != "lparen":
                raise _Refuse("'not' takes parentheses: not(...)")
            return Not(self.parenthesised())
        return self.primary()

    def parenthesised(self) -> Node:
        self.advance()  # (
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Refuse("the expression is nested too deeply")
        node = self.disjunction()
        if self.token.kind != "rparen":
            raise _Refuse(f"expected ')' but found {_describe(self.token)}")
        self.advance()
        self.depth -= 1
        return node

    def primary(self) -> Node:
        token = self.token
        if token.kind == "lparen":
            return self.parenthesised()
        if token.kind in ("number", "string"):
            self.advance()
            return Literal(token.value)
        if token.kind == "keyword" and token.value in ("true", "false", "null"):
            self.advance()
            return Literal({"true": True, "false": False, "null": None}[token.value])
        if token.kind == "name":
            self.advance()
            if self.token.kind == "lparen":
                raise _Refuse(f"function '{'.'.join(token.value)}' is not supported (only not(...))")
            return Name(token.value)
        raise _Refuse(f"unexpected {_describe(token)}")


def _describe(token: _Token) -> str:
    if token.kind == "end":
        return "end of expression"
    if token.kind == "name":
        return f"name '{'.'.join(token.value)}'"
    if token.kind == "string":
        return f'string "{token.value}"'
    return f"'{token.value}'"


def parse(source: str) -> Expression:
    """Parse ``=<expression>`` (the leading ``=`` marks FEEL in form-js and is required)."""
    if not isinstance(source, str):
        raise FeelError(f"expression must be a string starting with '=', not {type(source).__name__}")
    shown = source if len(source) <= 200 else source[:200] + "..."
    if not source.startswith("="):
        raise FeelError(f"'{shown}' is not an expression: FEEL expressions start with '='")
    body = source[1:]
    if not body.strip():
        raise FeelError(f"'{shown}' is empty")
    if len(source) > MAX_LENGTH:
        raise FeelError(f"'{shown}' is longer than {MAX_LENGTH} characters")
    try:
        ast = _Parser(_tokenize(body)).parse()
    except _Refuse as refused:
        raise FeelError(
            f"unsupported FEEL expression '{shown}': {refused.reason} "
            "(allowed: comparisons, and, or, not(...), parentheses, literals and field names)"
        ) from None
    return Expression(source, ast)


# --- evaluation ------------------------------------------------------------------------

_MISSING = object()


def _evaluate(node: Node, data: Mapping[str, Any]) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Name):
        return _normalise(_lookup(data, node.path))
    if isinstance(node, Compare):
        return _compare(node.op, _evaluate(node.left, data), _evaluate(node.right, data))
    if isinstance(node, And):
        left, right = _boolean(_evaluate(node.left, data)), _boolean(_evaluate(node.right, data))
        if left is False or right is False:
            return False
        return True if left is True and right is True else None
    if isinstance(node, Or):
        left, right = _boolean(_evaluate(node.left, data)), _boolean(_evaluate(node.right, data))
        if left is True or right is True:
            return True
        return False if left is False and right is False else None
    if isinstance(node, Not):
        value = _boolean(_evaluate(node.operand, data))
        return None if value is None else not value
    raise TypeError(f"unknown FEEL node {node!r}")


def _lookup(data: Any, path: tuple[str, ...]) -> Any:
    value = data
    for part in path:
        if not isinstance(value, Mapping):
            return None
        try:
            value = value.get(part, None)
        except TypeError:  # a Mapping with unhashable-key quirks
            return None
    return value


def _normalise(value: Any, depth: int = 0) -> Any:
    """Map Python data to FEEL values: numbers -> Decimal, tuples -> lists, others -> null."""
    if depth > MAX_DEPTH:
        return None
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, (list, tuple)):
        return [_normalise(item, depth + 1) for item in value]
    if isinstance(value, Mapping):
        return {str(k): _normalise(v, depth + 1) for k, v in value.items()}
    return None


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "context"
    return "null"


def _equal(left: Any, right: Any) -> bool | None:
    kind = _kind(left)
    if kind != _kind(right):
        return None
    if kind == "list":
        if len(left) != len(right):
            return False
        results = [_equal(a, b) for a, b in zip(left, right)]
        return None if None in results else all(results)
    if kind == "context":
        if left.keys() != right.keys():
            return False
        results = [_equal(left[k], right[k]) for k in left]
        return None if None in results else all(results)
    return left == right


def _compare(op: str, left: Any, right: Any) -> bool | None:
    if op in ("=", "!="):
        if left is None or right is None:
            same = left is None and right is None
        else:
            same = _equal(left, right)
            if same is None:
                return None
        return same if op == "=" else not same
    kind = _kind(left)
    if kind not in ("number", "string") or kind != _kind(right):
        return None
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == ">":
        return left > right
    return left >= right


def _boolean(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _names(node: Node, found: set[str]) -> None:
    if isinstance(node, Name):
        found.add(".".join(node.path))
    elif isinstance(node, (Compare, And, Or)):
        _names(node.left, found)
        _names(node.right, found)
    elif isinstance(node, Not):
        _names(node.operand, found)
