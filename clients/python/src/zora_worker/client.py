"""The engine's worker routes over HTTP, each call retried on connection errors and 503
with backoff for as long as its deadline allows."""

from __future__ import annotations

import logging
import random
import time
from typing import Any, Dict, Optional

import httpx

from zora_worker.errors import LeaseLost, ZoraError

log = logging.getLogger("zora_worker")

#: The first and the longest pause between two tries of a call.
FIRST_BACKOFF = 0.2
MAX_BACKOFF = 5.0


class Client:
    """A worker token's calls to one engine."""

    def __init__(self, base_url: str, token: str, timeout: float = 60.0) -> None:
        # Every task thread keeps its connection: up to 100 at once (a claim's most).
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
            limits=httpx.Limits(max_connections=110, max_keepalive_connections=110),
        )

    def close(self) -> None:
        self._http.close()

    def call(
        self,
        method: str,
        path: str,
        body: Optional[Dict[str, Any]] = None,
        deadline: Optional[float] = None,
        timeout: Optional[float] = None,
    ) -> Any:
        """The answer's ``data``. Connection errors and 503 are tried again with backoff
        until ``deadline`` (a ``time.monotonic()`` value; ``None``: for ever); any other
        refusal raises :class:`ZoraError` (:class:`LeaseLost` for a lost lease)."""
        pause = FIRST_BACKOFF
        while True:
            try:
                response = self._http.request(
                    method, path, json=body, timeout=timeout or httpx.USE_CLIENT_DEFAULT
                )
            except httpx.TransportError as err:
                reason = f"{type(err).__name__}: {err}"
            else:
                if response.status_code < 300:
                    return response.json()["data"] if response.content else None
                if response.status_code != 503:
                    raise _refusal(response)
                reason = "503 from the engine"
                after = response.headers.get("Retry-After")
                if after and after.isdigit():
                    pause = max(pause, float(after))
            if deadline is not None and time.monotonic() + pause > deadline:
                raise ZoraError(503, "SERVICE_UNAVAILABLE", f"gave up: {reason}")
            log.warning("%s %s failed (%s); trying again in %.1fs", method, path, reason, pause)
            time.sleep(pause * (0.5 + random.random() / 2))
            pause = min(pause * 2, MAX_BACKOFF)


def _refusal(response: httpx.Response) -> ZoraError:
    try:
        body = response.json()
        code, message = str(body.get("error")), str(body.get("message"))
    except ValueError:
        code, message = "HTTP_ERROR", response.text[:200]
    kind = LeaseLost if code in ("LEASE_LOST", "CANCELLED") else ZoraError
    return kind(response.status_code, code, message)
