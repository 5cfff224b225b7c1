"""A push receiver in Python, checking each request with the verification the docs give
(docs/WORKERS.md, "Push delivery"), against a real `zora serve` that delivers: a signed
request completes its task; a tampered one is refused by that same check."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, Dict, List

import httpx

from zora_testing import Engine

SECRET = "the receiver's secret, 16+ chars"


def verified(secret: str, timestamp: str, signature: str, body: bytes) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body,
                                    hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature) and abs(time.time() - int(timestamp)) <= 300


def test_a_python_receiver_verifies_and_completes_pushed_tasks(engine: Engine) -> None:
    seen: List[Dict[str, Any]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server protocol's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            ok = verified(SECRET, self.headers["X-Zora-Timestamp"],
                          self.headers["X-Zora-Signature"], body)
            tampered = verified(SECRET, self.headers["X-Zora-Timestamp"],
                                self.headers["X-Zora-Signature"], body + b" ")
            seen.append({"ok": ok, "tampered": tampered})
            task = json.loads(body)["task"]
            answer = json.dumps({"result": {"echo": task["payload"]["page"]},
                                 "summary": "Pushed to Python"}).encode()
            self.send_response(200 if ok else 401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        token = engine.worker_token()
        registered = httpx.put(
            f"{engine.base_url}/api/workers/types/notify_edge",
            headers={"Authorization": f"Bearer {token}"},
            json={"agent_id": "SAM", "payload_schema": {"type": "object"},
                  "push": {"url": f"http://127.0.0.1:{server.server_port}/zora",
                           "timeout_s": 5, "secret": SECRET}},
        )
        assert registered.status_code == 200, registered.text
        task_id = engine.add_task("notify_edge", {"page": "home"})
        task = engine.wait_for(task_id, "completed")
        assert task["state"] == "completed", task
        assert task["result"] == {"echo": "home"}
        assert task["result_summary"] == "Pushed to Python"
        assert seen == [{"ok": True, "tampered": False}]
    finally:
        server.shutdown()
