"""The SDK against a real engine: types registered, payloads checked at create time,
tasks completed with their result and journal (sync and async functions), retried and
failed as the function says."""

from __future__ import annotations

import json
import threading
import time
from typing import Any, Dict

import httpx
import pytest

from zora_testing import Engine, journal, user_token
from zora_worker import Fail, Retry, Task, Worker

SCHEMA: Dict[str, Any] = {
    "type": "object",
    "required": ["url"],
    "properties": {"url": {"type": "string"}},
}


def worker_for(engine: Engine, name: str) -> Worker:
    token = engine.worker_token("--types", "review_accessibility,summarize_page")
    return Worker(engine.base_url, token=token, name=name, wait_s=1)


def run_until(worker: Worker, tasks: int) -> threading.Thread:
    thread = threading.Thread(
        target=worker.run, kwargs={"concurrency": 4, "max_tasks": tasks, "handle_signals": False}
    )
    thread.start()
    return thread


def test_a_worker_registers_its_types_and_completes_their_tasks(engine: Engine) -> None:
    worker = worker_for(engine, "py-test")

    @worker.task("review_accessibility", agent_id="SAM", payload_schema=SCHEMA,
                 result_schema={"type": "object", "required": ["findings"]})
    def review(task: Task) -> Dict[str, Any]:
        task.journal("Reviewed a page", details={"url": task.payload["url"]})
        task.used_model("gpt-4o-mini", prompt_tokens=1000, completion_tokens=200)
        task.summary = f"Reviewed {task.payload['url']}"
        return {"findings": [], "attempt": task.attempt}

    @worker.task("summarize_page", agent_id="LUMINA", payload_schema=SCHEMA)
    async def summarize(task: Task) -> Dict[str, Any]:
        return {"summary": f"{task.payload['url']} in a line"}

    worker.register()
    with pytest.raises(RuntimeError, match=r'payload\.url: "url" is a required property'):
        engine.add_task("review_accessibility", {})
    reviews = [engine.add_task("review_accessibility", {"url": f"https://zora.example/{n}"})
               for n in range(3)]
    summary = engine.add_task("summarize_page", {"url": "https://zora.example/about"})

    run_until(worker, tasks=4).join(timeout=60)
    assert worker.completed == 4

    for task_id in reviews:
        task = engine.show(task_id)
        assert task["state"] == "completed", task
        assert task["result"]["findings"] == []
        assert task["result_summary"].startswith("Reviewed https://zora.example/")
        entries = [e for e in journal(engine, task_id)
                   if e["details"].get("event_type") == "external_task_completed"]
        assert len(entries) == 1, entries
        assert entries[0]["author"] == "SAM"
    assert engine.show(summary)["result"] == {"summary": "https://zora.example/about in a line"}
    usage = httpx.get(f"{engine.base_url}/api/agents/usage?group_by=task_type",
                      headers={"Authorization": f"Bearer {user_token(engine.env['ZORA_JWT_SECRET'])}"})
    usage.raise_for_status()
    lines = usage.json()["data"]
    assert [line["key"] for line in lines] == ["review_accessibility"], lines
    assert lines[0]["calls"] == 3 and lines[0]["prompt_tokens"] == 3000, lines
    assert lines[0]["cost_usd"] == pytest.approx(3 * (1000 * 0.15 + 200 * 0.60) / 1e6), lines
    printed = json.loads(engine.zora("usage", "--by", "task_type", "--json"))
    assert printed["data"] == lines, "zora usage reads what the API sums"
    assert printed["totals"]["calls"] == 3
    assert "review_accessibility" in engine.zora("usage", "--by", "task_type")


def test_a_function_retries_or_fails_its_task(engine: Engine) -> None:
    worker = worker_for(engine, "py-flaky")
    tries: Dict[str, int] = {}

    @worker.task("review_accessibility", agent_id="SAM", payload_schema=SCHEMA, max_attempts=3)
    def review(task: Task) -> Dict[str, Any]:
        tries[task.id] = tries.get(task.id, 0) + 1
        if task.payload["url"] == "broken":
            raise Fail("the page does not exist")
        if task.attempt == 1:
            raise Retry("the page timed out", after=0)
        return {"findings": [], "tries": tries[task.id]}

    flaky = engine.add_task("review_accessibility", {"url": "flaky"})
    broken = engine.add_task("review_accessibility", {"url": "broken"})
    run_until(worker, tasks=3).join(timeout=60)

    done = engine.show(flaky)
    assert done["state"] == "completed", done
    assert done["attempts"] == 2
    assert done["errors"][0]["error"] == "the page timed out"
    failed = engine.show(broken)
    assert failed["state"] == "failed", failed
    assert failed["error_message"] == "the page does not exist"
    assert tries[broken] == 1, "a Fail is not retried"


def test_heartbeats_keep_a_long_task_and_a_cancel_stops_it(engine: Engine) -> None:
    worker = Worker(engine.base_url, token=engine.worker_token(), name="py-long",
                    lease_s=5, wait_s=1)
    stopped_seen: Dict[str, bool] = {}

    @worker.task("review_accessibility", agent_id="SAM", payload_schema=SCHEMA)
    def review(task: Task) -> Dict[str, Any]:
        if task.payload["url"] == "long":
            time.sleep(7)  # longer than the lease: only its heartbeats keep it
            return {"findings": [], "attempt": task.attempt}
        stopped_seen[task.id] = task.stopped.wait(30)
        return {"findings": ["should not be recorded"]}

    long_id = engine.add_task("review_accessibility", {"url": "long"})
    doomed_id = engine.add_task("review_accessibility", {"url": "cancel me"})
    thread = threading.Thread(target=worker.run,
                              kwargs={"concurrency": 2, "handle_signals": False})
    thread.start()
    try:
        engine.wait_for(doomed_id, "running", timeout=10)
        token = user_token(engine.env["ZORA_JWT_SECRET"])
        cancelled = httpx.post(f"{engine.base_url}/api/agents/tasks/{doomed_id}/cancel",
                               headers={"Authorization": f"Bearer {token}"}, json={})
        assert cancelled.status_code == 202, cancelled.text
        done = engine.wait_for(long_id, "completed", timeout=30)
        assert done["state"] == "completed", done
        assert done["result"]["attempt"] == 1, "the lease held through the heartbeats"
        assert done["errors"] == []
        ended = engine.wait_for(doomed_id, "cancelled", timeout=10)
        assert ended["state"] == "cancelled", ended
        assert ended["result"] is None, "nothing after the cancel is recorded"
    finally:
        worker.stop()
        thread.join(timeout=40)
    assert stopped_seen == {doomed_id: True}, "the function saw task.stopped"
