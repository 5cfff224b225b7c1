"""The outcomes of finished tasks, sent together: one thread takes every completion and
failure queued while its last request was on the way and sends them in one
``POST /api/workers/outcomes`` (the engine writes the completions in one transaction),
then tells each task's sender how it was taken."""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional

from zora_worker.client import Client
from zora_worker.errors import ZoraError

log = logging.getLogger("zora_worker")

#: The most items of one list in one request (the engine's bound).
MAX_BATCH = 100

#: What a sender is told: the item's answer (``{"error": ...}`` when it was refused).
Answered = Callable[[Dict[str, Any]], None]


@dataclass
class Outcome:
    """A completion (``kind`` ``"completions"``) or a failure (``"failures"``) of one
    task: its route's body with ``task_id``, the lease's end (``time.monotonic()``), and
    whom to tell."""

    kind: str
    body: Dict[str, Any]
    expires_at: float
    answered: Answered


class Outbox:
    """Sends queued outcomes in batches on a thread of its own, until :meth:`close`."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self._queue: "queue.Queue[Optional[Outcome]]" = queue.Queue()
        self._thread = threading.Thread(target=self._send_all, daemon=True, name="zora-outcomes")
        self._thread.start()

    def put(self, outcome: Outcome) -> None:
        self._queue.put(outcome)

    def close(self, timeout: float) -> None:
        """Sends what is queued, then stops (waiting at most ``timeout`` seconds)."""
        self._queue.put(None)
        self._thread.join(timeout=timeout)

    def _send_all(self) -> None:
        closing = False
        while not closing:
            first = self._queue.get()
            if first is None:
                return
            batch: List[Outcome] = [first]
            while len(batch) < MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    closing = True
                    break
                batch.append(more)
            self._send(batch)

    def _send(self, batch: List[Outcome]) -> None:
        lists: Dict[str, List[Outcome]] = {"completions": [], "failures": []}
        for outcome in batch:
            lists[outcome.kind].append(outcome)
        body = {kind: [o.body for o in items] for kind, items in lists.items() if items}
        try:
            # Never given up while a lease lasts: the outcome is ours only until then.
            answer = self._client.call(
                "POST", "/api/workers/outcomes", body, deadline=max(o.expires_at for o in batch)
            )
        except ZoraError as err:
            log.error("outcomes refused: %s", err)
            refusal = {"error": err.code, "message": err.message, "status": err.status}
        except Exception as err:  # noqa: BLE001 - the thread must outlive any one batch
            log.exception("outcomes not sent")
            refusal = {"error": "CLIENT_ERROR", "message": f"{type(err).__name__}: {err}"}
        else:
            for kind, items in lists.items():
                for outcome, answered in zip(items, answer.get(kind, [])):
                    outcome.answered(answered)
            return
        for outcome in batch:
            outcome.answered(refusal)
