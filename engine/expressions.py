"""The restricted evaluator for every expression that arrives in a deployed BPMN or DMN file.

Gateway conditions, script tasks, timer values, DMN cells and message payloads are written by
whoever uploads a model, so they are untrusted. Each one passes two gates:

1. ``check`` parses it and walks the tree against a whitelist: known node types only, no
   names or attributes starting with ``_``, calls only to the helpers, a few built-ins and a
   few str/list/dict methods. This gives process owners a readable reason at deployment.
2. RestrictedPython compiles it, so every attribute access, subscript, iteration and write
   goes through the guards below at run time as well (the guards repeat the whitelist, so a
   gap in one gate is not a gap in both).

Size and iteration limits stop the cheap ways of hanging a worker (``range(10**9)``,
``10**10**10``, ``s = s + s`` in a loop). They are not a substitute for a time limit on the
worker process.
"""
from __future__ import annotations

import ast
import functools
import operator
import re
import textwrap
import warnings
from collections.abc import Callable, Mapping
from datetime import date as _date, datetime as _datetime, time as _time, timedelta, timezone
from typing import Any, NamedTuple

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence
from RestrictedPython.transformer import RestrictingNodeTransformer, copy_locations
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine import calendar, clock

__all__ = [
    "ExpressionError",
    "HELPERS",
    "RestrictedEnvironment",
    "check",
    "evaluate",
    "execute",
    "script_engine",
]

MAX_SOURCE_LENGTH = 100_000
MAX_RANGE = 10_000
MAX_LENGTH = 1_000_000  # longest str/list/tuple an operation may build
MAX_INT_BITS = 100_000
MAX_ITERATIONS = 1_000_000  # per evaluate/execute call, all loops and comprehensions together
MAX_FORMAT_NUMBER = 100  # widths and precisions in f-string format specs
MAX_HELPER_DAYS = 10_000


class ExpressionError(Exception):
    """A forbidden or malformed expression. ``.source``, ``.reason`` (one readable line)."""

    def __init__(self, source: str, reason: str):
        super().__init__(reason)
        self.source = source
        self.reason = reason

    def __str__(self) -> str:
        return self.reason

    def __reduce__(self):
        return type(self), (self.source, self.reason)


class ExpressionSyntaxError(ExpressionError, SyntaxError):
    """An expression that does not parse.

    Also a ``SyntaxError`` because SpiffWorkflow's DMN engine calls ``validate`` and relies on
    a ``SyntaxError`` to tell a bare cell such as ``> 5`` from a complete expression.
    """

    def __init__(self, source: str, reason: str, lineno: int | None = None):
        super().__init__(source, reason)
        self.msg = reason
        # SpiffWorkflow reads .lineno of a SyntaxError to quote the failing line; 0 = unknown.
        self.lineno = lineno or 0


# ---------------------------------------------------------------------------------- helpers

def _to_date(value: Any) -> _date:
    """A date from a date/datetime object or an ISO string; aware times count in London."""
    if isinstance(value, _datetime):
        return value.astimezone(calendar.LONDON).date() if value.tzinfo else value.date()
    if isinstance(value, _date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return _date.fromisoformat(text)
        except ValueError:
            return _to_date(_datetime.fromisoformat(text))
    raise TypeError(f"expected a date as 'YYYY-MM-DD', got {value!r}")


def _to_datetime(value: Any) -> _datetime:
    """An aware datetime; dates are midnight and naive times are London local time."""
    if isinstance(value, str):
        text = value.strip()
        value = _datetime.fromisoformat(text)
    elif isinstance(value, _date) and not isinstance(value, _datetime):
        value = _datetime.combine(value, _time(0), calendar.LONDON)
    if not isinstance(value, _datetime):
        raise TypeError(f"expected an ISO date or datetime, got {value!r}")
    return value if value.tzinfo else value.replace(tzinfo=calendar.LONDON)


def _iso(at: _datetime) -> str:
    return at.astimezone(timezone.utc).isoformat(timespec="seconds")


def _day_count(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"expected a whole number of days, got {n!r}")
    if not 0 <= n <= MAX_HELPER_DAYS:
        raise ValueError(f"number of days must be between 0 and {MAX_HELPER_DAYS}, got {n}")
    return n


def _today() -> _date:
    return clock.now().astimezone(calendar.LONDON).date()


def today() -> str:
    """Today's date in London, "YYYY-MM-DD"."""
    return _today().isoformat()


def now() -> str:
    """The current time, ISO 8601 in UTC with offset."""
    return _iso(clock.now())


def date(*args: Any) -> str:
    """"YYYY-MM-DD" from (year, month, day) or from an ISO date/datetime string."""
    if len(args) == 3:
        return _date(*args).isoformat()
    if len(args) == 1:
        return _to_date(args[0]).isoformat()
    raise TypeError("date() takes (year, month, day) or one ISO date string")


def working_days_after(n: int, start: Any = None) -> str:
    """17:00 London time, n working days after start (default today); a BPMN timer value."""
    start_date = _today() if start is None else _to_date(start)
    return _iso(calendar.deadline_at(calendar.add_working_days(start_date, _day_count(n))))


def days_after(n: int, start: Any = None) -> str:
    """17:00 London time, n calendar days after start (default today); a BPMN timer value."""
    start_date = _today() if start is None else _to_date(start)
    return _iso(calendar.deadline_at(start_date + timedelta(days=_day_count(n))))


def next_weekday_at(weekday: str, hh_mm: str, after: Any = None) -> str:
    """The next e.g. ("tuesday", "16:00") London time strictly after `after` (default now)."""
    return _iso(calendar.next_weekday_at(weekday, hh_mm, clock.now() if after is None else _to_datetime(after)))


def previous_weekday_at(weekday: str, hh_mm: str, before: Any) -> str:
    """The last e.g. ("thursday", "16:00") London time strictly before `before`."""
    return _iso(calendar.previous_weekday_at(weekday, hh_mm, _to_datetime(before)))


def days_between(a: Any, b: Any) -> int:
    """Calendar days from a to b (b - a)."""
    return (_to_date(b) - _to_date(a)).days


def working_days_between(a: Any, b: Any) -> int:
    """Working days after a up to and including b (negative if b is before a)."""
    first, last = _to_date(a), _to_date(b)
    if abs((last - first).days) > 7 * MAX_HELPER_DAYS:
        raise ValueError("dates are too far apart")
    return calendar.working_days_between(first, last)


HELPERS: dict[str, Callable[..., Any]] = {
    "today": today,
    "now": now,
    "date": date,
    "working_days_after": working_days_after,
    "days_after": days_after,
    "next_weekday_at": next_weekday_at,
    "previous_weekday_at": previous_weekday_at,
    "days_between": days_between,
    "working_days_between": working_days_between,
}


# ---------------------------------------------------------------------------------- limits

def _refuse(reason: str) -> ExpressionError:
    return ExpressionError("", reason)  # evaluate/execute fill in the source


def _check_length(length: int) -> None:
    if length > MAX_LENGTH:
        raise _refuse(f"result would be too long ({length} items, at most {MAX_LENGTH})")


def _check_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise _refuse(f"number would be too large (about {bits} bits, at most {MAX_INT_BITS})")


_SEQUENCES = (str, bytes, list, tuple)


def _guard_binop(op: str, a: Any, b: Any) -> None:
    if op == "+":
        if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
            _check_length(len(a) + len(b))
    elif op == "*":
        if isinstance(a, _SEQUENCES) and isinstance(b, int):
            _check_length(len(a) * max(b, 0))
        elif isinstance(b, _SEQUENCES) and isinstance(a, int):
            _check_length(len(b) * max(a, 0))
        elif isinstance(a, int) and isinstance(b, int):
            _check_bits(a.bit_length() + b.bit_length())
    elif op == "**":
        if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
            _check_bits(a.bit_length() * b)
    elif op == "<<":
        if isinstance(a, int) and isinstance(b, int) and a:
            _check_bits(a.bit_length() + max(b, 0))
    elif op == "%":
        if isinstance(a, (str, bytes)):
            raise _refuse("'%' string formatting is not allowed (use an f-string)")


_BINOPS = {
    "+": operator.add, "*": operator.mul, "**": operator.pow, "<<": operator.lshift, "%": operator.mod,
}
_INPLACE = {
    "+=": ("+", operator.iadd), "-=": ("-", operator.isub), "*=": ("*", operator.imul),
    "/=": ("/", operator.itruediv), "//=": ("//", operator.ifloordiv), "%=": ("%", operator.imod),
    "**=": ("**", operator.ipow), "<<=": ("<<", operator.ilshift), ">>=": (">>", operator.irshift),
    "|=": ("|", operator.ior), "&=": ("&", operator.iand), "^=": ("^", operator.ixor),
}
_GUARDED_AST_OPS = {ast.Add: "+", ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Mod: "%"}


def _binop(op: str, a: Any, b: Any) -> Any:
    _guard_binop(op, a, b)
    return _BINOPS[op](a, b)


def _inplacevar(op: str, a: Any, b: Any) -> Any:
    if op not in _INPLACE:
        raise _refuse(f"operator {op!r} is not allowed")
    plain, function = _INPLACE[op]
    _guard_binop(plain, a, b)
    return function(a, b)


def _check_text_size(value: Any) -> None:
    """Refuse turning a container into text when the text would be huge (shared references
    make a small structure print as gigabytes)."""
    if not isinstance(value, (list, tuple, dict, set, frozenset)):
        return
    budget = MAX_LENGTH
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, (str, bytes)):
            budget -= len(item) + 2
        elif isinstance(item, dict):
            budget -= 2 + 2 * len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            budget -= 2 + len(item)
            stack.extend(item)
        elif isinstance(item, int) and not isinstance(item, bool):
            budget -= item.bit_length() // 3 + 1
        else:
            budget -= 24
        if budget < 0:
            raise _refuse(f"text would be too long (more than {MAX_LENGTH} characters)")


def _format_value(value: Any) -> Any:
    _check_text_size(value)
    return value


def _safe_str(*args: Any, **kwargs: Any) -> str:
    if args:
        _check_text_size(args[0])
    return str(*args, **kwargs)


def _safe_range(*args: Any) -> range:
    result = range(*args)
    try:
        size = len(result)
    except OverflowError:
        size = MAX_RANGE + 1
    if size > MAX_RANGE:
        raise _refuse(f"range(...) is too large (at most {MAX_RANGE} numbers)")
    return result


def _safe_sum(iterable: Any, start: Any = 0) -> Any:
    if isinstance(start, bool) or not isinstance(start, (int, float)):
        raise _refuse("sum() only adds numbers")
    return sum(iterable, start)


SAFE_BUILTINS: dict[str, Any] = {
    "len": len, "min": min, "max": max, "sum": _safe_sum, "abs": abs, "round": round,
    "sorted": sorted, "any": any, "all": all, "int": int, "float": float, "str": _safe_str,
    "bool": bool, "list": list, "dict": dict, "set": set, "tuple": tuple, "range": _safe_range,
    "enumerate": enumerate, "zip": zip,
    "None": None, "True": True, "False": False,
}

CALLABLE_NAMES = frozenset(HELPERS) | frozenset(name for name, value in SAFE_BUILTINS.items() if callable(value))


# ---------------------------------------------------------------------------------- methods

def _join(separator: str) -> Callable[[Any], str]:
    def join(items: Any) -> str:
        items = list(items)
        if all(isinstance(item, str) for item in items):
            _check_length(sum(map(len, items)) + len(separator) * max(len(items) - 1, 0))
        return separator.join(items)
    return join


def _replace(text: str) -> Callable[..., str]:
    def replace(old: str, new: str, count: int = -1) -> str:
        if isinstance(old, str) and isinstance(new, str) and len(new) > len(old):
            times = len(text) + 1 if old == "" else text.count(old)
            if isinstance(count, int) and count >= 0:
                times = min(times, count)
            _check_length(len(text) + times * (len(new) - len(old)))
        return text.replace(old, new, count)
    return replace


def _extend(items: list) -> Callable[[Any], None]:
    def extend(more: Any) -> None:
        more = list(more)
        _check_length(len(items) + len(more))
        items.extend(more)
    return extend


_WRAPPED_METHODS: dict[tuple[type, str], Callable[[Any], Callable[..., Any]]] = {
    (str, "join"): _join,
    (str, "replace"): _replace,
    (list, "extend"): _extend,
}

# Methods a script may use, by the type of the value they are called on.
METHODS: dict[type, frozenset[str]] = {
    str: frozenset({
        "lower", "upper", "strip", "lstrip", "rstrip", "startswith", "endswith", "split",
        "join", "replace", "count", "index", "title", "capitalize", "isdigit",
    }),
    list: frozenset({"append", "extend", "count", "index", "pop", "insert", "remove", "copy"}),
    dict: frozenset({"get", "keys", "values", "items", "pop", "copy", "update", "setdefault"}),
    tuple: frozenset({"count", "index"}),
}
METHOD_NAMES = frozenset().union(*METHODS.values())


def _getattr(obj: Any, name: str) -> Any:
    if not isinstance(name, str) or name.startswith("_"):
        raise _refuse(f"attribute {name!r} is not allowed")
    for kind, names in METHODS.items():
        if isinstance(obj, kind) and name in names:
            wrapper = _WRAPPED_METHODS.get((kind, name))
            return wrapper(obj) if wrapper else getattr(obj, name)
    raise _refuse(f"attribute {name!r} of {type(obj).__name__} is not allowed")


_SUBSCRIPTABLE = (dict, list, tuple, str, bytes, range)


def _getitem(obj: Any, key: Any) -> Any:
    if not isinstance(obj, _SUBSCRIPTABLE):
        raise _refuse(f"{type(obj).__name__} values cannot be subscripted")
    return obj[key]


def _write(obj: Any) -> Any:
    if isinstance(obj, (dict, list)):
        return obj
    raise _refuse(f"{type(obj).__name__} values cannot be changed")


def _apply(function: Any, *args: Any, **kwargs: Any) -> Any:
    return function(*args, **kwargs)


def _iteration_guard() -> Callable[[Any], Any]:
    """A ``_getiter_`` sharing one iteration budget across a whole evaluation."""
    remaining = [MAX_ITERATIONS]

    def getiter(obj: Any) -> Any:
        iterator = iter(obj)

        def counted():
            for item in iterator:
                remaining[0] -= 1
                if remaining[0] < 0:
                    raise _refuse(f"too many loop iterations (at most {MAX_ITERATIONS})")
                yield item

        return counted()

    return getiter


_GUARD_NAMES = frozenset({
    "__builtins__", "_getattr_", "_getitem_", "_getiter_", "_write_", "_apply_", "_inplacevar_",
    "_iter_unpack_sequence_", "_unpack_sequence_", "_binop_", "_fmt_",
})


def _globals(context: Mapping[str, Any], external_context: Mapping[str, Any] | None) -> dict[str, Any]:
    scope: dict[str, Any] = dict(HELPERS)
    if external_context:
        scope.update(external_context)
    scope.update(context)
    scope.update(
        __builtins__=SAFE_BUILTINS,
        _getattr_=_getattr,
        _getitem_=_getitem,
        _getiter_=_iteration_guard(),
        _write_=_write,
        _apply_=_apply,
        _inplacevar_=_inplacevar,
        _iter_unpack_sequence_=guarded_iter_unpack_sequence,
        _unpack_sequence_=guarded_unpack_sequence,
        _binop_=_binop,
        _fmt_=_format_value,
    )
    return scope


# ---------------------------------------------------------------------------------- checking

_MESSAGES: dict[type, str] = {
    ast.Import: "import is not allowed",
    ast.ImportFrom: "import is not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.FunctionDef: "defining functions is not allowed",
    ast.AsyncFunctionDef: "defining functions is not allowed",
    ast.ClassDef: "defining classes is not allowed",
    ast.Global: "global is not allowed",
    ast.Nonlocal: "nonlocal is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
    ast.Await: "await is not allowed",
    ast.AsyncFor: "async for is not allowed",
    ast.AsyncWith: "async with is not allowed",
    ast.With: "with is not allowed",
    ast.Try: "try is not allowed",
    ast.While: "while loops are not allowed (loop with for over a list)",
    ast.NamedExpr: "assignment expressions (:=) are not allowed",
    ast.Return: "return is not allowed",
    ast.Raise: "raise is not allowed",
    ast.Assert: "assert is not allowed",
    ast.AnnAssign: "annotated assignments are not allowed",
    ast.Match: "match is not allowed",
    ast.MatMult: "the @ operator is not allowed",
}
if hasattr(ast, "TryStar"):
    _MESSAGES[ast.TryStar] = "try is not allowed"

_ALLOWED_NODES = frozenset({
    ast.Module, ast.Expression, ast.Expr, ast.Assign, ast.AugAssign, ast.If, ast.For,
    ast.Break, ast.Continue, ast.Pass, ast.Delete,
    ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.IfExp, ast.Dict, ast.Set, ast.ListComp,
    ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Compare, ast.Call, ast.FormattedValue,
    ast.JoinedStr, ast.Constant, ast.Attribute, ast.Subscript, ast.Starred, ast.Name,
    ast.List, ast.Tuple, ast.Slice, ast.keyword, ast.comprehension,
    ast.Load, ast.Store, ast.Del,
    ast.And, ast.Or, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow,
    ast.LShift, ast.RShift, ast.BitOr, ast.BitXor, ast.BitAnd,
    ast.UAdd, ast.USub, ast.Not, ast.Invert,
    ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot, ast.In, ast.NotIn,
})

# RestrictedPython gives these a meaning of their own.
_RESERVED_NAMES = frozenset({"print", "printed", "builtins", "breakpoint"})
_NUMBER = re.compile(r"\d+")


class _Refusal(Exception):
    def __init__(self, node: ast.AST, reason: str):
        super().__init__(reason)
        self.lineno = getattr(node, "lineno", None)
        self.reason = reason


class _Checker(ast.NodeVisitor):
    def __init__(self) -> None:
        self.called: set[str] = set()

    def refuse(self, node: ast.AST, reason: str) -> None:
        raise _Refusal(node, reason)

    def generic_visit(self, node: ast.AST) -> None:
        if type(node) not in _ALLOWED_NODES:
            self.refuse(node, _MESSAGES.get(type(node), f"{type(node).__name__} is not allowed"))
        super().generic_visit(node)

    def check_name(self, node: ast.AST, name: str) -> None:
        if name.startswith("_") or name in _RESERVED_NAMES:
            self.refuse(node, f"name {name!r} is not allowed")

    def visit_Name(self, node: ast.Name) -> None:
        self.check_name(node, node.id)
        if not isinstance(node.ctx, ast.Load) and node.id in CALLABLE_NAMES:
            kind = "helper" if node.id in HELPERS else "built-in function"
            self.refuse(node, f"cannot assign to {node.id!r}: it is a {kind}")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr.startswith("_"):
            self.refuse(node, f"attribute {node.attr!r} is not allowed")
        if node.attr in ("format", "format_map"):
            self.refuse(node, f"attribute {node.attr!r} is not allowed (use an f-string)")
        if node.attr not in METHOD_NAMES:
            self.refuse(node, f"attribute {node.attr!r} is not allowed")
        if not isinstance(node.ctx, ast.Load):
            self.refuse(node, "assigning to attributes is not allowed")
        self.visit(node.value)

    def visit_Call(self, node: ast.Call) -> None:
        function = node.func
        if isinstance(function, ast.Name):
            self.check_name(function, function.id)
            if function.id not in CALLABLE_NAMES:
                self.refuse(node, f"call to {function.id!r} is not allowed")
            self.called.add(function.id)
        elif isinstance(function, ast.Attribute):
            self.visit(function)
        else:
            self.visit(function)  # a lambda gets its own message
            self.refuse(node, "only helpers, built-in functions and methods can be called")
        for argument in node.args:
            self.visit(argument)
        for keyword in node.keywords:
            self.visit(keyword)

    def visit_keyword(self, node: ast.keyword) -> None:
        if node.arg is not None:
            self.check_name(node, node.arg)
        self.visit(node.value)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if not isinstance(node.target, ast.Name):
            self.refuse(node, "+= and the like only work on plain variables (write d[k] = d[k] + 1)")
        self.generic_visit(node)

    def visit_Starred(self, node: ast.Starred) -> None:
        if not isinstance(node.ctx, ast.Store):
            self.refuse(node, "unpacking with * is not allowed")
        self.generic_visit(node)

    def visit_comprehension(self, node: ast.comprehension) -> None:
        if node.is_async:
            self.refuse(node, "async comprehensions are not allowed")
        self.generic_visit(node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> None:
        self.visit(node.value)
        spec = node.format_spec
        if spec is None:
            return
        parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
        for part in parts:
            if not (isinstance(part, ast.Constant) and isinstance(part.value, str)):
                self.refuse(node, "format specs must be plain text")
            if any(len(number) > 3 or int(number) > MAX_FORMAT_NUMBER for number in _NUMBER.findall(part.value)):
                self.refuse(node, f"format widths and precisions must be at most {MAX_FORMAT_NUMBER}")


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus size guards on the operators that can build huge values."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        symbol = _GUARDED_AST_OPS.get(type(node.op))
        if symbol is None:
            return node
        call = ast.Call(
            func=ast.Name("_binop_", ast.Load()),
            args=[ast.Constant(symbol), node.left, node.right],
            keywords=[],
        )
        copy_locations(call, node)
        return call

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        node = self.node_contents_visit(node)
        call = ast.Call(func=ast.Name("_fmt_", ast.Load()), args=[node.value], keywords=[])
        copy_locations(call, node.value)
        node.value = call
        return node


class _Compiled(NamedTuple):
    code: Any
    called: frozenset[str]
    reason: str | None = None
    syntax: bool = False
    lineno: int | None = None


def _normalise(source: str, mode: str) -> str:
    # Text from XML carries the indentation of the surrounding markup.
    return source.strip() if mode == "eval" else textwrap.dedent(source)


def _where(source: str, lineno: int | None, reason: str) -> str:
    if lineno and "\n" in source.strip():
        return f"line {lineno}: {reason}"
    return reason


@functools.lru_cache(maxsize=4096)
def _compile(source: str, mode: str) -> _Compiled:
    if not isinstance(source, str):
        return _Compiled(None, frozenset(), f"expected text, got {type(source).__name__}")
    if len(source) > MAX_SOURCE_LENGTH:
        return _Compiled(None, frozenset(), f"longer than {MAX_SOURCE_LENGTH} characters")
    text = _normalise(source, mode)
    try:
        # Python parses some ambiguous text ("1if x else 2", "1in [1]") with only a SyntaxWarning on
        # stderr, and will refuse it in a later version: refuse it now, with the reason. (The filter
        # is process-wide for the moment of the parse; it only ever turns that warning into an error.)
        with warnings.catch_warnings():
            warnings.simplefilter("error", SyntaxWarning)
            tree = ast.parse(text, "<string>", mode)
    except SyntaxError as error:
        reason = _where(text, error.lineno, f"syntax error: {error.msg}")
        return _Compiled(None, frozenset(), reason, syntax=True, lineno=error.lineno)
    except (ValueError, RecursionError, MemoryError, OverflowError) as error:
        return _Compiled(None, frozenset(), f"cannot be parsed: {_describe(error)}", syntax=True)
    checker = _Checker()
    try:
        checker.visit(tree)
    except _Refusal as refusal:
        return _Compiled(None, frozenset(), _where(text, refusal.lineno, refusal.reason), lineno=refusal.lineno)
    except RecursionError:
        return _Compiled(None, frozenset(), "nested too deeply")
    except Exception as error:  # a gap in the checker must refuse, not crash
        return _Compiled(None, frozenset(), f"cannot be checked: {_describe(error)}")
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    try:
        result = compiler(tree, "<string>", policy=_Policy)
    except (RecursionError, MemoryError):
        return _Compiled(None, frozenset(), "nested too deeply")
    except Exception as error:  # compile() has odd corners; none may escape check()
        return _Compiled(None, frozenset(), f"cannot be compiled: {_describe(error)}")
    if result.errors or result.code is None:
        reason = result.errors[0] if result.errors else "cannot be compiled"
        return _Compiled(None, frozenset(), reason)
    return _Compiled(result.code, frozenset(checker.called))


def _describe(error: BaseException) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def _compiled(source: str, mode: str) -> _Compiled:
    if mode not in ("eval", "exec"):
        raise ValueError(f"mode must be 'eval' or 'exec', got {mode!r}")
    try:
        compiled = _compile(source, mode)
    except TypeError:  # unhashable source
        compiled = _Compiled(None, frozenset(), f"expected text, got {type(source).__name__}")
    if compiled.reason is not None:
        if compiled.syntax:
            raise ExpressionSyntaxError(source, compiled.reason, compiled.lineno)
        raise ExpressionError(source, compiled.reason)
    return compiled


def check(source: str, mode: str = "eval") -> None:
    """Raise ExpressionError unless ``source`` may run; cached, so cheap to repeat."""
    _compiled(source, mode)


def _hidden_helpers(source: str, compiled: _Compiled, *scopes: Mapping[str, Any] | None) -> None:
    # Task data may use a helper's name (a form field called "date"); that is fine until the
    # expression calls it, and then a clear message beats "'str' object is not callable".
    for scope in scopes:
        if scope:
            for name in compiled.called:
                if name in scope:
                    raise ExpressionError(
                        source, f"task data variable {name!r} hides the function {name}(); rename the variable"
                    )


def _evaluate(source: str, context: Mapping[str, Any], external_context: Mapping[str, Any] | None) -> Any:
    compiled = _compiled(source, "eval")
    _hidden_helpers(source, compiled, context, external_context)
    try:
        return eval(compiled.code, _globals(context, external_context))
    except ExpressionError as error:
        error.source = error.source or source
        raise


def _execute(source: str, context: dict[str, Any], external_context: Mapping[str, Any] | None) -> None:
    compiled = _compiled(source, "exec")
    _hidden_helpers(source, compiled, context, external_context)
    scope = _globals(context, external_context)
    try:
        exec(compiled.code, scope)
    except ExpressionError as error:
        error.source = error.source or source
        raise
    finally:
        _copy_back(scope, context, external_context or {})


def _copy_back(scope: dict[str, Any], context: dict[str, Any], external_context: Mapping[str, Any]) -> None:
    """Leave in ``context`` what the script assigned, deleted or kept, and nothing of ours."""
    original = set(context)
    for name in original:
        if name not in scope:
            del context[name]
    context.pop("__builtins__", None)
    for name, value in scope.items():
        if name in _GUARD_NAMES:
            continue
        if name not in original and (HELPERS.get(name) is value or name in external_context):
            continue
        if callable(value):
            context.pop(name, None)
        else:
            context[name] = value


def evaluate(source: str, context: Mapping[str, Any]) -> Any:
    """Value of the expression ``source`` with ``context`` as its variables."""
    return _evaluate(source, context, None)


def execute(source: str, context: dict[str, Any]) -> None:
    """Run the script ``source``; the variables it assigns end up in ``context``."""
    _execute(source, context, None)


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow's TaskDataEnvironment semantics through the restricted compiler."""

    def __init__(self) -> None:
        super().__init__({})

    def evaluate(self, expression, context, external_context=None):
        return _evaluate(expression, context, external_context)

    def execute(self, script, context, external_context=None):
        _execute(script, context, external_context)
        return True

    def call_service(self, context, **kwargs):
        raise NotImplementedError("service tasks are not supported")


class RestrictedScriptEngine(PythonScriptEngine):
    def validate(self, expression):
        check(expression, "eval")


def script_engine() -> PythonScriptEngine:
    return RestrictedScriptEngine(environment=RestrictedEnvironment())
