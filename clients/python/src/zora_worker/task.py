"""The task a function receives: its id, payload and tenant, and what it may add."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional


@dataclass
class Task:
    """A claimed task. Key side effects outside the engine by ``id``: a lost lease can
    run a task twice."""

    id: str
    task_type: str
    tenant_id: str
    agent_id: str
    title: str
    payload: Dict[str, Any]
    attempt: int
    #: Set when the engine said the task was cancelled, or the lease was lost: stop.
    stopped: threading.Event = field(default_factory=threading.Event, repr=False)
    #: The summary the completion gives (else ``Completed {task_type}``).
    summary: Optional[str] = None
    _journal: List[Dict[str, Any]] = field(default_factory=list, repr=False)
    _usage: Optional[Dict[str, Any]] = field(default=None, repr=False)

    def journal(
        self,
        title: str,
        category: str = "agent_action",
        body: Optional[str] = None,
        details: Optional[Dict[str, Any]] = None,
    ) -> None:
        """Adds a journal entry, written with the completion in one transaction."""
        entry: Dict[str, Any] = {"category": category, "title": title}
        if body is not None:
            entry["body"] = body
        if details is not None:
            entry["details"] = details
        self._journal.append(entry)

    @property
    def journal_entries(self) -> List[Dict[str, Any]]:
        return list(self._journal)

    def used_model(
        self,
        model: str,
        prompt_tokens: int,
        completion_tokens: int,
        cost_usd: Optional[float] = None,
    ) -> None:
        """Reports the model call this task made, recorded with its completion (the
        engine prices it when ``cost_usd`` is not given and it knows the model). Called
        again, the tokens add up under the last model named."""
        if self._usage is not None:
            prompt_tokens += self._usage["prompt_tokens"]
            completion_tokens += self._usage["completion_tokens"]
            if cost_usd is not None and self._usage.get("cost_usd") is not None:
                cost_usd += self._usage["cost_usd"]
        self._usage = {"model": model, "prompt_tokens": prompt_tokens,
                       "completion_tokens": completion_tokens}
        if cost_usd is not None:
            self._usage["cost_usd"] = cost_usd

    @property
    def usage(self) -> Optional[Dict[str, Any]]:
        return None if self._usage is None else dict(self._usage)
