"""Driving a real engine from the tests: ``zora serve`` on a free port, tokens, tasks
created with the CLI and read back over HTTP."""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List

import httpx

DEFAULT_TENANT = "00000000-0000-0000-0000-000000000001"


@dataclass
class Engine:
    binary: str
    database: str
    env: Dict[str, str]
    process: subprocess.Popen  # type: ignore[type-arg]
    base_url: str

    @classmethod
    def start(cls, binary: str, database: str, env: Dict[str, str], workdir: Path,
              *serve_args: str) -> "Engine":
        log = open(workdir / "serve.log", "w")
        process = subprocess.Popen(
            [binary, "serve", "--bind", "127.0.0.1:0", "--database-url", database, *serve_args],
            env=env, stdout=subprocess.PIPE, stderr=log, text=True,
        )
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("listening on "):
            process.kill()
            raise RuntimeError(f"zora serve did not start: {line!r}; see {workdir / 'serve.log'}")
        return cls(binary, database, env, process, line.split()[-1])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def zora(self, *args: str) -> str:
        done = subprocess.run([self.binary, *args], env=self.env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"zora {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout.strip()

    def worker_token(self, *args: str) -> str:
        return self.zora("tokens", "worker", *args)

    def add_task(self, task_type: str, payload: Dict[str, Any], title: str = "A task") -> str:
        return self.zora("tasks", "add", "--agent", "SAM", "--type", task_type,
                         "--title", title, "--payload", json.dumps(payload))

    def show(self, task_id: str) -> Dict[str, Any]:
        return json.loads(self.zora("tasks", "show", task_id, "--json"))

    def wait_for(self, task_id: str, state: str, timeout: float = 30.0) -> Dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            task = self.show(task_id)
            if task.get("state") == state or time.monotonic() > deadline:
                return task
            time.sleep(0.1)

    def post(self, token: str, path: str, body: Dict[str, Any]) -> httpx.Response:
        return httpx.post(f"{self.base_url}{path}", json=body,
                          headers={"Authorization": f"Bearer {token}"}, timeout=60)


def journal(engine: "Engine", task_id: str) -> List[Dict[str, Any]]:
    """The task's journal entries, read with a founder's token."""
    token = user_token(engine.env["ZORA_JWT_SECRET"])
    answer = httpx.get(f"{engine.base_url}/api/agents/tasks/{task_id}/journal",
                       headers={"Authorization": f"Bearer {token}"})
    answer.raise_for_status()
    return list(answer.json()["data"])


def user_token(secret: str, tenant: str = DEFAULT_TENANT, role: str = "founder") -> str:
    """An HS256 JWT of a user of ``tenant``, as ZORA CORE signs one."""
    import base64
    import hashlib
    import hmac
    import uuid

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = b64(json.dumps({"sub": str(uuid.uuid4()), "user_id": str(uuid.uuid4()),
                             "tenant_id": tenant, "role": role,
                             "exp": int(time.time()) + 3600}).encode())
    signature = hmac.new(secret.encode(), f"{header}.{claims}".encode(), hashlib.sha256).digest()
    return f"{header}.{claims}.{b64(signature)}"
