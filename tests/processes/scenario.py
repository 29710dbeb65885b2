"""Steps the scenario tests share: find a case's open task, complete it as a fresh server
process would, fire timers at a moment."""
from __future__ import annotations

from sqlalchemy import select

from engine import runtime
from engine.runtime import repository
from engine.store import models


def open_tasks(db, key):
    return runtime.tasks(db, business_key=key)


def the_task(db, key, element_id):
    tasks = open_tasks(db, key)
    found = [t for t in tasks if t.element_id == element_id]
    assert len(found) == 1, f"expected one open '{element_id}', open: {[t.element_id for t in tasks]}"
    return found[0]


def do(db, key, element_id, data, actor):
    repository.cache.clear()  # every step as a fresh server process would see it
    return runtime.complete(db, the_task(db, key, element_id).id, data, actor)


def instance_state(db, key) -> str:
    with db.reader() as session:
        return session.scalar(select(models.ProcessInstance.state).where(models.ProcessInstance.business_key == key))


def next_timer(db, key):
    with db.reader() as session:
        return session.scalar(select(models.ProcessInstance.next_timer_due).where(models.ProcessInstance.business_key == key))


def fire_at(db, clock, moment: str):
    clock.set(moment)
    return runtime.fire_due_timers(db, clock.now())
