"""A worker killed mid-task: its lease lapses, the engine takes the task back, another
worker completes it once, and the killed worker's late completion (replayed here from what
it received) is refused with 409 LEASE_LOST and records nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict

from zora_testing import Engine, journal
from zora_worker import Task, Worker

SCHEMA: Dict[str, Any] = {"type": "object", "required": ["url"],
                          "properties": {"url": {"type": "string"}}}

# A worker whose function never returns; it notes each claim's answer as it arrives, as a
# capture of its traffic would, so that the test can replay its completion.
DOOMED = """
import os, time
from zora_worker import Worker

worker = Worker(os.environ["ZORA_URL"], token=os.environ["ZORA_WORKER_TOKEN"],
                name="py-doomed", lease_s=5, wait_s=1)

def note(response):
    if response.request.url.path.endswith("/claim"):
        response.read()
        with open(os.environ["CLAIMS_FILE"], "a") as claims:
            claims.write(response.text + "\\n")

worker._client._http.event_hooks["response"].append(note)

@worker.task("review_accessibility", agent_id="SAM", payload_schema={schema})
def review(task):
    with open(os.environ["STARTED_FILE"], "w") as started:
        started.write(task.id)
    time.sleep(3600)

worker.run(concurrency=1)
"""


def wait_until(check, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_killed_workers_task_is_finished_once_by_another(engine: Engine, tmp_path: Path) -> None:
    token = engine.worker_token("--types", "review_accessibility")
    claims_file, started_file = tmp_path / "claims.jsonl", tmp_path / "started"
    script = tmp_path / "doomed.py"
    script.write_text(DOOMED.replace("{schema}", json.dumps(SCHEMA)))
    env = dict(os.environ, ZORA_URL=engine.base_url, ZORA_WORKER_TOKEN=token,
               CLAIMS_FILE=str(claims_file), STARTED_FILE=str(started_file))
    doomed = subprocess.Popen([sys.executable, str(script)], env=env)
    try:
        task_id = engine.add_task("review_accessibility", {"url": "https://zora.example/slow"})
        wait_until(lambda: started_file.exists(), 30, "the doomed worker to start the task")
        assert engine.show(task_id)["lease_owner"] == "py-doomed"
    finally:
        doomed.send_signal(signal.SIGKILL)
        doomed.wait()

    claimed = [json.loads(line) for line in claims_file.read_text().splitlines()]
    lease = next(item["lease"]["token"] for answer in claimed for item in answer["data"]
                 if item["task"]["id"] == task_id)

    survivor = Worker(engine.base_url, token=token, name="py-survivor", wait_s=1)
    runs = []

    @survivor.task("review_accessibility", agent_id="SAM", payload_schema=SCHEMA)
    def review(task: Task) -> Dict[str, Any]:
        runs.append(task.attempt)
        task.journal("Reviewed a page")
        return {"findings": [], "by": "survivor"}

    thread = threading.Thread(target=survivor.run,
                              kwargs={"max_tasks": 1, "handle_signals": False})
    thread.start()
    thread.join(timeout=60)
    assert survivor.completed == 1, "the lapsed task came back and was completed"

    done = engine.show(task_id)
    assert done["state"] == "completed", done
    assert done["result"] == {"findings": [], "by": "survivor"}
    assert done["attempts"] == 2 and runs == [2]
    assert [e["kind"] for e in done["errors"]] == ["lease_expired"]

    entries = [e for e in journal(engine, task_id)
               if e["details"].get("event_type") == "external_task_completed"]
    assert len(entries) == 1, entries

    late = engine.post(token, f"/api/workers/tasks/{task_id}/complete",
                       {"lease": lease, "result": {"findings": ["late"]}})
    assert late.status_code == 409, late.text
    assert late.json()["error"] == "LEASE_LOST"
    assert engine.show(task_id)["result"] == {"findings": [], "by": "survivor"}, "nothing recorded"

