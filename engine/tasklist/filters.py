"""Saved task-list filters: a tab, a procedure and a due window under a name, for one person or
shared with their team. Replacing a filter of the same name is how it is edited."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import delete, or_, select

from engine import clock
from engine.runtime import InvalidInput
from engine.store import models
from engine.store.db import Database

_FILTERS = models.SavedFilter.__table__
MAX_NAME = 60


@dataclass(frozen=True)
class SavedFilter:
    id: int
    owner: str
    name: str
    tab: str
    process_key: str | None
    due: str | None
    team: str | None

    @property
    def query(self) -> str:
        """The task list's query string for this filter."""
        params = {"tab": self.tab}
        if self.process_key:
            params["process"] = self.process_key
        if self.due:
            params["due"] = self.due
        return "?" + urlencode(params)


def save(db: Database, owner: str, name: str, *, tab: str, process_key: str | None, due: str | None,
         team: str | None, tabs, dues, processes) -> SavedFilter:
    """Save (or replace) `owner`'s filter `name`. `team`: share it with that team."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("Enter a name for the filter")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"The filter's name must be {MAX_NAME} characters or fewer")
    if tab not in tabs or (due or "") not in dues or (process_key and process_key not in processes):
        raise InvalidInput("This filter cannot be saved: choose the procedure and due date from the lists")
    values = {"owner": owner, "name": name, "tab": tab, "process_key": process_key or None, "due": due or None,
              "team": team or None, "created_at": clock.now()}
    with db.transaction() as session:
        conn = session.connection()
        conn.execute(delete(_FILTERS).where(_FILTERS.c.owner == owner, _FILTERS.c.name == name))
        new_id = conn.execute(_FILTERS.insert().returning(_FILTERS.c.id), values).scalar_one()
    return SavedFilter(new_id, owner, name, tab, values["process_key"], values["due"], values["team"])


def visible(db: Database, username: str, team: str | None) -> tuple[list[SavedFilter], list[SavedFilter]]:
    """(the person's own filters, those their team shared), by name."""
    query = select(_FILTERS).where(or_(_FILTERS.c.owner == username,
                                       _FILTERS.c.team == team if team else _FILTERS.c.id.is_(None)))
    with db.reader() as session:
        rows = [SavedFilter(r.id, r.owner, r.name, r.tab, r.process_key, r.due, r.team)
                for r in session.execute(query.order_by(_FILTERS.c.name, _FILTERS.c.id))]
    return [f for f in rows if f.owner == username], [f for f in rows if f.owner != username]


def remove(db: Database, owner: str, filter_id: int) -> bool:
    """Delete one of `owner`'s filters; False when there is no such filter of theirs."""
    with db.transaction() as session:
        return session.connection().execute(
            delete(_FILTERS).where(_FILTERS.c.id == filter_id, _FILTERS.c.owner == owner)).rowcount == 1
