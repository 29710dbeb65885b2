"""What a runtime call can refuse, each with a message a person can act on."""
from __future__ import annotations


class RuntimeRefusal(Exception):
    """Base class: the call changed nothing."""


class NotFound(RuntimeRefusal):
    pass


class Conflict(RuntimeRefusal):
    """Someone else changed the case first (stale version, task already done or claimed)."""


class StaleVersion(Conflict):
    def __init__(self, instance_id: str, expected: int, actual: int):
        self.instance_id, self.expected, self.actual = instance_id, expected, actual
        super().__init__(
            f"this case changed since you opened it (version {expected}, now {actual}); "
            "your input has not been saved as a completion: reload the task and check it"
        )


class Forbidden(RuntimeRefusal):
    pass


class InvalidSubmission(RuntimeRefusal):
    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("the form has errors: " + "; ".join(f"{k}: {v}" for k, v in errors.items()))


class InvalidInput(RuntimeRefusal):
    pass
