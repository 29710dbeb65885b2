"""One pass of `stepwise worker`: fire due timers, then deliver due webhooks (the events just made included)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from engine import runtime
from engine.store.db import Database

from .delivery import DeliveryRun, deliver_due


@dataclass
class WorkerPass:
    timers: runtime.TimerRun
    deliveries: DeliveryRun

    @property
    def busy(self) -> bool:
        return bool(self.timers.fired or self.timers.incidents or self.deliveries.handled)


def work_once(db: Database, now: datetime | None = None, *, should_stop: Callable[[], bool] | None = None,
              timer_limit: int = 500, delivery_limit: int = 100, timeout: float = 10.0) -> WorkerPass:
    timers = runtime.fire_due_timers(db, now, limit=timer_limit, should_stop=should_stop or (lambda: False))
    deliveries = deliver_due(db, now, delivery_limit, timeout=timeout, should_stop=should_stop)
    return WorkerPass(timers, deliveries)
