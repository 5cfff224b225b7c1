"""What a task function raises to say how its task ends, and the SDK's own errors."""

from __future__ import annotations

from typing import Optional


class Retry(Exception):
    """The attempt failed but another may pass: the task runs again (after ``after``
    seconds, else the engine's backoff) while attempts are left."""

    def __init__(self, message: str, after: Optional[float] = None) -> None:
        super().__init__(message)
        self.after = after


class Fail(Exception):
    """The task fails for good: no further attempt, and its dependents fail with it."""


class ZoraError(Exception):
    """The engine refused a call; ``code`` is its error code (``VALIDATION_ERROR``, ...)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class LeaseLost(ZoraError):
    """The lease no longer holds (``LEASE_LOST``), or the task was cancelled
    (``CANCELLED``): nothing more of this attempt is recorded."""
