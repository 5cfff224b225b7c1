"""The worker: registers its types, claims their tasks (long-polling), runs each function
on a thread of its own (an ``async def`` one in an event loop there), beats every third
of the lease meanwhile, and completes or fails the task under its lease. Heartbeats and
outcomes go to the engine in batches: one request for all that are due."""

from __future__ import annotations

import asyncio
import inspect
import logging
import signal
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Set

from zora_worker.client import Client
from zora_worker.errors import Fail, Retry, ZoraError
from zora_worker.outbox import Outbox, Outcome
from zora_worker.task import Task

log = logging.getLogger("zora_worker")

TaskFunction = Callable[[Task], Any]


@dataclass
class _Registration:
    function: TaskFunction
    definition: Dict[str, Any]


@dataclass
class _Held:
    task: Task
    lease: str
    lease_s: float
    expires_at: float  # time.monotonic()
    next_beat: float = 0.0  # time.monotonic()


class Worker:
    """Serves task types from Python functions.

    ``base_url`` is the engine's (``zora serve``), ``token`` a worker token
    (``zora tokens worker``), ``name`` this process's name in the engine's registry.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        name: str,
        lease_s: Optional[int] = None,
        wait_s: int = 5,
    ) -> None:
        self.name = name
        self.lease_s = lease_s
        self.wait_s = wait_s
        self._client = Client(base_url, token)
        self._types: Dict[str, _Registration] = {}
        self._stop = threading.Event()
        #: The tasks running now, by id: one thread beats for all of them.
        self._held: Dict[str, _Held] = {}
        self._held_lock = threading.Lock()
        #: Tasks completed and failed by this worker, for a caller that counts.
        self.completed = 0
        self.failed = 0

    def task(
        self,
        task_type: str,
        *,
        agent_id: str,
        payload_schema: Dict[str, Any],
        result_schema: Optional[Dict[str, Any]] = None,
        description: str = "",
        timeout_s: int = 300,
        max_attempts: Optional[int] = None,
    ) -> Callable[[TaskFunction], TaskFunction]:
        """Declares ``task_type``, served by the decorated function (sync or ``async``).
        It returns the result (a dict); :class:`Retry` and any other exception retry the
        task while attempts are left, :class:`Fail` fails it for good."""

        def register(function: TaskFunction) -> TaskFunction:
            self._types[task_type] = _Registration(
                function,
                {
                    "agent_id": agent_id,
                    "description": description,
                    "payload_schema": payload_schema,
                    "result_schema": result_schema,
                    "timeout_s": timeout_s,
                    "max_attempts": max_attempts,
                },
            )
            return function

        return register

    def register(self) -> None:
        """Registers every declared type with the engine (the same definition again
        changes nothing)."""
        for task_type, registration in self._types.items():
            self._client.call("PUT", f"/api/workers/types/{task_type}", registration.definition)
            log.info("registered %s", task_type)

    def stop(self) -> None:
        """Stops claiming; running tasks finish (see :meth:`run`'s ``grace_s``)."""
        self._stop.set()

    def run(
        self,
        concurrency: int = 4,
        grace_s: float = 30.0,
        max_tasks: Optional[int] = None,
        handle_signals: bool = True,
    ) -> None:
        """Registers, then claims and runs tasks until :meth:`stop`, SIGINT or SIGTERM
        (or ``max_tasks`` finished), then lets running tasks finish for ``grace_s``."""
        if not self._types:
            raise ValueError("no task type declared: use @worker.task(...) first")
        if handle_signals and threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: self.stop())
        self.register()
        outbox = Outbox(self._client)
        beating = threading.Event()
        beater = threading.Thread(target=self._beat_all, args=(beating,), daemon=True,
                                  name="zora-heartbeats")
        beater.start()
        pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="zora-task")
        running: Set[Future[None]] = set()
        try:
            while not self._stop.is_set():
                if max_tasks is not None and self.completed + self.failed >= max_tasks:
                    break
                running = {f for f in running if not f.done()}
                room = concurrency - len(running)
                if room <= 0:
                    time.sleep(0.01)
                    continue
                for held in self._claim(room):
                    running.add(pool.submit(self._run_one, held, outbox))
        finally:
            deadline = time.monotonic() + grace_s
            for future in list(running):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    future.result(timeout=left)
                except Exception:  # noqa: BLE001 - each task logs its own failure
                    pass
            pool.shutdown(wait=False, cancel_futures=True)
            outbox.close(timeout=max(deadline - time.monotonic(), 5.0))
            beating.set()
            beater.join(timeout=5)
            self._client.close()

    def _claim(self, room: int) -> List[_Held]:
        body: Dict[str, Any] = {
            "worker": self.name,
            "types": list(self._types),
            "max": min(room, 100),
            "wait_s": self.wait_s,
        }
        if self.lease_s is not None:
            body["lease_s"] = self.lease_s
        try:
            claimed = self._client.call("POST", "/api/workers/claim", body, timeout=self.wait_s + 30)
        except ZoraError as err:
            log.error("claim refused: %s", err)
            self._stop.wait(1.0)
            return []
        now = time.monotonic()
        held = []
        for item in claimed:
            raw = item["task"]
            task = Task(
                id=raw["id"],
                task_type=raw["task_type"],
                tenant_id=raw["tenant_id"],
                agent_id=raw["agent_id"],
                title=raw["title"],
                payload=raw.get("payload") or {},
                attempt=item["attempt"],
            )
            lease_s = float(self.lease_s or self._types[task.task_type].definition["timeout_s"])
            lease_s = min(lease_s, 600.0)
            held.append(_Held(task, item["lease"]["token"], lease_s, now + lease_s,
                              next_beat=now + lease_s / 3))
        return held

    def _run_one(self, held: _Held, outbox: Outbox) -> None:
        with self._held_lock:
            self._held[held.task.id] = held
        function = self._types[held.task.task_type].function
        outcome: Dict[str, Any]
        try:
            if inspect.iscoroutinefunction(function):
                result = asyncio.run(function(held.task))
            else:
                result = function(held.task)
            if result is None:
                result = {}
            if not isinstance(result, dict):
                raise Fail(f"the function returned {type(result).__name__}, not a dict")
            outcome = {"result": result, "journal": held.task.journal_entries}
            if held.task.summary:
                outcome["summary"] = held.task.summary
            if held.task.usage is not None:
                outcome["usage"] = held.task.usage
            what = "complete"
        except Retry as err:
            outcome = {"error": str(err) or "retry", "retryable": True}
            if err.after is not None:
                outcome["retry_after_s"] = int(err.after)
            what = "fail"
        except Fail as err:
            outcome = {"error": str(err) or "failed", "retryable": False}
            what = "fail"
        except Exception as err:  # noqa: BLE001 - any error of the function is the task's
            log.exception("task %s raised", held.task.id)
            outcome = {"error": f"{type(err).__name__}: {err}", "retryable": True}
            what = "fail"
        finally:
            with self._held_lock:
                self._held.pop(held.task.id, None)
        outcome["task_id"] = held.task.id
        outcome["lease"] = held.lease
        outbox.put(Outcome("completions" if what == "complete" else "failures", outcome,
                           held.expires_at, lambda answer: self._answered(held, what, answer)))

    def _answered(self, held: _Held, what: str, answer: Dict[str, Any]) -> None:
        """Counts an outcome the engine took; logs one it refused."""
        if "error" in answer:
            if answer["error"] in ("LEASE_LOST", "CANCELLED"):
                log.warning("task %s: %s", held.task.id, answer.get("message"))
            else:
                log.error("task %s: %s refused: %s", held.task.id, what, answer.get("message"))
        elif what == "complete":
            self.completed += 1
        else:
            self.failed += 1

    def _beat_all(self, done: threading.Event) -> None:
        """Beats, every third of its lease, each task still running, until ``done``: one
        request for all that are due."""
        while not done.wait(0.5):
            now = time.monotonic()
            with self._held_lock:
                due = [h for h in self._held.values() if h.next_beat <= now]
            if due:
                self._beat(due)

    def _beat(self, due: List[_Held]) -> None:
        sent = time.monotonic()
        for held in due:
            held.next_beat = sent + held.lease_s / 3
        body = {"heartbeats": [{"task_id": h.task.id, "lease": h.lease} for h in due]}
        try:
            answers = self._client.call("POST", "/api/workers/outcomes", body,
                                        deadline=min(h.expires_at for h in due))["heartbeats"]
        except ZoraError as err:
            log.error("heartbeats refused: %s", err)
            return
        except Exception:  # noqa: BLE001 - the beating thread must outlive any one beat
            log.exception("heartbeats not sent")
            return
        for held, answer in zip(due, answers):
            if "error" not in answer:
                held.expires_at = sent + held.lease_s
            elif answer["error"] in ("LEASE_LOST", "CANCELLED"):
                log.warning("task %s: %s", held.task.id, answer.get("message"))
                held.task.stopped.set()
            else:
                log.error("task %s: heartbeat refused: %s", held.task.id, answer.get("message"))
