"""The one source of "now" for the engine.

Deadlines, timers and audit times all read the current clock, and tests move it instead of
sleeping. SpiffWorkflow reads ``datetime.now`` inside its timer module, so ``install`` points
that module at the clock too.
"""
from __future__ import annotations

import contextlib
import contextvars
from datetime import datetime, timedelta, timezone
from typing import Iterator, Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, timezone-aware, in UTC."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FixedClock:
    """A clock that only moves when told to: for tests and `worker --now`."""

    def __init__(self, at: datetime | str):
        self._now = _aware(at)

    def now(self) -> datetime:
        return self._now

    def set(self, at: datetime | str) -> None:
        self._now = _aware(at)

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now


def _aware(at: datetime | str) -> datetime:
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc)


_current: contextvars.ContextVar[Clock] = contextvars.ContextVar("stepwise_clock", default=SystemClock())


def current() -> Clock:
    return _current.get()


def now() -> datetime:
    return _current.get().now()


@contextlib.contextmanager
def using(clock: Clock) -> Iterator[Clock]:
    token = _current.set(clock)
    try:
        yield clock
    finally:
        _current.reset(token)


class _ClockedDatetime(datetime):
    """`datetime` whose `now()` asks the current clock; everything else is unchanged."""

    @classmethod
    def now(cls, tz=None):  # type: ignore[override]
        current_time = _current.get().now()
        return current_time.astimezone(tz) if tz is not None else current_time.astimezone().replace(tzinfo=None)


def install() -> None:
    """Make SpiffWorkflow's timers read the engine clock (idempotent)."""
    from SpiffWorkflow.bpmn.specs.event_definitions import timer

    timer.datetime = _ClockedDatetime
