"""Cases: the business key is the case reference; every instance belongs to one."""
from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine.store import models

from .errors import InvalidInput

PERSON_FIELDS = ("name", "date_of_birth", "nhs_number", "case_system_number", "relationship_to_child")


def _people(details: Mapping[str, Any], key: str, role: str) -> list[models.CasePerson]:
    people = details.get(key) or []
    if not isinstance(people, list):
        raise InvalidInput(f"case {key} must be a list")
    found = []
    for person in people:
        if not isinstance(person, Mapping) or not str(person.get("name") or "").strip():
            raise InvalidInput(f"each of the case's {key} needs a name")
        unknown = set(person) - set(PERSON_FIELDS)
        if unknown:
            raise InvalidInput(f"unknown fields for a person: {', '.join(sorted(unknown))}")
        found.append(models.CasePerson(role=role, **{f: (str(person[f]).strip() if person.get(f) else None) for f in PERSON_FIELDS}))
    return found


def find_or_create(session: Session, business_key: str, details: Mapping[str, Any] | None) -> models.Case:
    """The case with this reference; created from `details` the first time it is seen.

    `details`: council, address, locality, children: [{name, date_of_birth, nhs_number,
    case_system_number}], household: [{name, relationship_to_child, ...}].
    """
    case = session.scalar(select(models.Case).where(models.Case.business_key == business_key))
    if case is not None:
        return case
    details = details or {}
    unknown = set(details) - {"council", "address", "locality", "children", "household"}
    if unknown:
        raise InvalidInput(f"unknown case details: {', '.join(sorted(unknown))}")
    case = models.Case(
        business_key=business_key, council=details.get("council"), address=details.get("address"),
        locality=details.get("locality"), created_at=clock.now(),
    )
    case.people = _people(details, "children", "child") + _people(details, "household", "household")
    session.add(case)
    session.flush()
    return case
