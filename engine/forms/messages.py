"""Error message wording, GOV.UK Design System style ("Enter ...", "Select ...")."""
from __future__ import annotations

from decimal import Decimal

from .model import Component

EMAIL = "Enter an email address in the correct format, like name@example.com"
PHONE = "Enter a telephone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192"


def name(node: Component) -> str:
    """The label as a sentence's subject: "Rationale" (trailing '?', ':' and '*' dropped)."""
    return node.label.strip().rstrip("?:*").strip() or "This field"


def lower(node: Component) -> str:
    """The label inside a sentence: "rationale"; acronyms ("GP name") stay as written."""
    text = name(node)
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def required(node: Component) -> str:
    """The component's own ``properties.requiredMessage`` (a custom property set in the
    modeller) if it has one; else worded from the label."""
    properties = node.raw.get("properties")
    custom = properties.get("requiredMessage") if isinstance(properties, dict) else None
    if isinstance(custom, str) and custom.strip():
        return custom.strip()
    if node.type == "checkbox":
        return f"Confirm {lower(node)}"
    verb = "Select" if node.type in ("radio", "select", "checklist") else "Enter"
    if node.label.strip().endswith("?"):
        return f"{verb} an answer to: {node.label.strip()}"
    return f"{verb} {lower(node)}"


def not_an_option(node: Component) -> str:
    return f"Select {lower(node)} from the list"


def not_text(node: Component) -> str:
    return f"{name(node)} must be text"


def too_short(node: Component, size: int) -> str:
    return f"{name(node)} must be {size} character{'s' if size != 1 else ''} or more"


def too_long(node: Component, size: int) -> str:
    return f"{name(node)} must be {size} character{'s' if size != 1 else ''} or fewer"


def pattern(node: Component) -> str:
    return f"Enter {lower(node)} in the correct format"


def not_a_number(node: Component) -> str:
    return f"{name(node)} must be a number"


def too_large(node: Component) -> str:
    return f"{name(node)} is too large"


def out_of_range(node: Component, low: Decimal | None, high: Decimal | None) -> str:
    if low is not None and high is not None:
        return f"{name(node)} must be between {number(low)} and {number(high)}"
    if low is not None:
        return f"{name(node)} must be {number(low)} or more"
    return f"{name(node)} must be {number(high)} or less"


def decimals(node: Component, digits: int) -> str:
    if digits == 0:
        return f"{name(node)} must be a whole number"
    return f"{name(node)} must have no more than {digits} decimal place{'s' if digits != 1 else ''}"


def increment(node: Component, step: Decimal) -> str:
    return f"{name(node)} must be a multiple of {number(step)}"


def not_boolean(node: Component) -> str:
    return f"{name(node)} must be yes or no"


def not_a_date(node: Component) -> str:
    return {
        "time": f"{name(node)} must be a real time",
        "datetime": f"{name(node)} must be a real date and time",
    }.get(node.subtype or "date", f"{name(node)} must be a real date")


def date_with_time(node: Component) -> str:
    return f"{name(node)} must be a date without a time"


def date_missing(node: Component, parts: list[str]) -> str:
    return f"{name(node)} must include a {' and '.join(parts)}"


def date_in_past(node: Component) -> str:
    return f"{name(node)} must be today or in the future"


def not_a_list(node: Component) -> str:
    return f"{name(node)} must be a list"


def bad_item(node: Component, index: int) -> str:
    return f"Item {index + 1} of {lower(node)} is not in the right format"


def number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text
