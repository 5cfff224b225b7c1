"""The engine as an MCP server, driven by the protocol's official Python client (``mcp``)
over stdio (``zora mcp``) and over Streamable HTTP (``/mcp`` on ``zora serve``), on both
stores: the tools and their schemas, a bad payload refused naming its field with nothing
written, a chain created and waited for, the journal marking what came through MCP, a
viewer's decision refused with nothing changed, another tenant's task not found; and
``/mcp`` refusing a request without a token, with a worker token, or from a foreign
Origin."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, AsyncIterator, Dict, Iterator

import anyio
import httpx
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from conftest import running_engine
from zora_testing import Engine, user_token

TOOLS = {"list_task_types", "list_tasks", "get_task", "create_task", "create_tasks",
         "wait_for_task", "run_task", "cancel_task", "decide_task", "submit_command",
         "queue_health", "list_schedules", "create_schedule", "set_schedule_enabled"}


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """``zora serve`` with a worker of its own, so that what is created runs."""
    with running_engine(request.param, tmp_path, "--workers", "1") as engine:
        yield engine


@contextlib.asynccontextmanager
async def session(engine: Engine, transport: str, role: str = "founder") -> AsyncIterator[ClientSession]:
    """An initialized MCP session with the engine, as a user of the default tenant."""
    if transport == "stdio":
        server = StdioServerParameters(command=engine.binary, args=["mcp", "--role", role],
                                       env=engine.env)
        async with stdio_client(server) as (read, write):
            async with ClientSession(read, write) as opened:
                await opened.initialize()
                yield opened
    else:
        token = user_token(engine.env["ZORA_JWT_SECRET"], role=role)
        client = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
        async with client, streamable_http_client(f"{engine.base_url}/mcp", http_client=client) as (read, write):
            async with ClientSession(read, write) as opened:
                await opened.initialize()
                yield opened


async def call(opened: ClientSession, tool: str, arguments: Dict[str, Any]) -> Any:
    return await opened.call_tool(tool, arguments)


def total_tasks(engine: Engine) -> int:
    token = user_token(engine.env["ZORA_JWT_SECRET"])
    answer = httpx.get(f"{engine.base_url}/api/agents/tasks?limit=1",
                       headers={"Authorization": f"Bearer {token}"})
    answer.raise_for_status()
    return int(answer.json()["pagination"]["total"])


def another_tenant(engine: Engine) -> str:
    """A second tenant, inserted as ZORA CORE would."""
    tenant = str(uuid.uuid4())
    if engine.database.startswith("sqlite://"):
        with sqlite3.connect(engine.database.removeprefix("sqlite://")) as db:
            db.execute("INSERT INTO tenants (id, name, slug) VALUES (?, 'Other', ?)",
                       (tenant, f"other-{tenant}"))
    else:
        subprocess.run(["psql", engine.database, "-qc",
                        f"INSERT INTO tenants (id, name, slug) VALUES ('{tenant}', 'Other', 'o-{tenant}')"],
                       check=True)
    return tenant


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_a_model_plans_chains_and_waits_through_mcp(engine: Engine, transport: str) -> None:
    async def scenario() -> None:
        async with session(engine, transport) as opened:
            listed = await opened.list_tools()
            assert {tool.name for tool in listed.tools} == TOOLS
            create = next(tool for tool in listed.tools if tool.name == "create_task")
            assert {"agent_id", "task_type", "title", "payload"} <= set(create.input_schema["properties"])
            types = await call(opened, "list_task_types", {})
            assert "review_system_health" in types.structured_content["supported"]

            before = total_tasks(engine)
            bad = await call(opened, "create_task", {
                "agent_id": "CONNOR", "task_type": "climate.create_single_mission",
                "title": "A mission", "payload": {"title": "No profile"}})
            assert bad.is_error
            assert bad.structured_content["error"] == "VALIDATION_ERROR"
            assert bad.structured_content["fields"][0]["field"].startswith("payload.")
            assert "profile_id" in bad.content[0].text
            assert total_tasks(engine) == before, "a refused create writes nothing"

            chain = await call(opened, "create_tasks", {"tasks": [
                {"ref": "first", "agent_id": "SAM", "task_type": "review_system_health",
                 "title": "Health, first"},
                {"agent_id": "SAM", "task_type": "review_system_health", "title": "Health, then",
                 "depends_on": ["first"]},
            ]})
            assert not chain.is_error, chain.content
            first, then = (task["id"] for task in chain.structured_content["tasks"])
            waited = await call(opened, "wait_for_task", {"id": then, "timeout": 60})
            assert not waited.is_error, waited.content
            assert waited.structured_content["finished"] is True
            assert waited.structured_content["state"] == "completed"

            shown = await call(opened, "get_task", {"id": first})
            created = [e for e in shown.structured_content["journal"]
                       if e["details"].get("event_type") == "agent_task_created"]
            assert created and created[0]["details"]["source"] == "mcp", shown.structured_content

            listed_resources = await opened.list_resources()
            assert [r.uri for r in listed_resources.resources] == ["zora://task-types"]
            templates = await opened.list_resource_templates()
            assert [t.uri_template for t in templates.resource_templates] == ["zora://tasks/{id}"]
            as_resource = await opened.read_resource(f"zora://tasks/{first}")
            read_task = json.loads(as_resource.contents[0].text)
            assert read_task["id"] == first and read_task["state"] == "completed", read_task
            catalogue = json.loads((await opened.read_resource("zora://task-types")).contents[0].text)
            assert "review_system_health" in catalogue["supported"]

            other = another_tenant(engine)
            theirs = httpx.post(
                f"{engine.base_url}/api/agents/tasks",
                headers={"Authorization": f"Bearer {user_token(engine.env['ZORA_JWT_SECRET'], other)}"},
                json={"agent_id": "SAM", "task_type": "review_system_health", "title": "Theirs",
                      "requires_approval": True})
            assert theirs.status_code == 201, theirs.text
            foreign = await call(opened, "get_task", {"id": theirs.json()["data"]["id"]})
            assert foreign.is_error and foreign.structured_content["error"] == "NOT_FOUND"

    anyio.run(scenario)


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_only_a_founder_decides(engine: Engine, transport: str) -> None:
    async def scenario() -> None:
        async with session(engine, transport) as founder:
            gated = await call(founder, "create_task", {
                "agent_id": "SAM", "task_type": "review_system_health", "title": "Needs a nod",
                "requires_approval": True})
            task_id = gated.structured_content["id"]
            async with session(engine, transport, role="viewer") as viewer:
                refused = await call(viewer, "decide_task", {"id": task_id, "decision": "approve"})
                assert refused.is_error and refused.structured_content["status"] == 403
                created = await call(viewer, "create_task", {
                    "agent_id": "SAM", "task_type": "review_system_health", "title": "No"})
                assert created.is_error and created.structured_content["status"] == 403
            still = await call(founder, "get_task", {"id": task_id})
            assert still.structured_content["state"] == "awaiting_approval", "nothing changed"
            approved = await call(founder, "decide_task", {"id": task_id, "decision": "approve",
                                                          "reason": "Looks right"})
            assert not approved.is_error, approved.content
            decided = [e for e in (await call(founder, "get_task", {"id": task_id}))
                       .structured_content["journal"]
                       if e["details"].get("event_type") == "agent_task_approved"]
            assert decided and decided[0]["details"]["source"] == "mcp"

    anyio.run(scenario)


def test_mcp_over_http_takes_a_users_token_from_its_own_origin(engine: Engine) -> None:
    url = f"{engine.base_url}/mcp"
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                  "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                             "clientInfo": {"name": "test", "version": "1"}}}
    headers = {"Accept": "application/json, text/event-stream"}
    nobody = httpx.post(url, json=initialize, headers=headers)
    assert nobody.status_code == 401 and nobody.json()["error"] == "MISSING_TOKEN"
    worker = engine.worker_token()
    as_worker = httpx.post(url, json=initialize,
                           headers={**headers, "Authorization": f"Bearer {worker}"})
    assert as_worker.status_code == 403, as_worker.text
    founder = user_token(engine.env["ZORA_JWT_SECRET"])
    foreign = httpx.post(url, json=initialize, headers={
        **headers, "Authorization": f"Bearer {founder}", "Origin": "https://evil.example"})
    assert foreign.status_code == 403 and "Cross-site" in foreign.json()["message"]
    own = httpx.post(url, json=initialize, headers={
        **headers, "Authorization": f"Bearer {founder}", "Origin": engine.base_url})
    assert own.status_code == 200, own.text
    assert '"name":"zora"' in own.text.replace(" ", ""), own.text


def test_the_docs_example_runs_as_written(engine: Engine) -> None:
    """docs/MCP.md's Python example, against this engine instead of port 8787."""
    doc = (Path(__file__).resolve().parents[3] / "docs" / "MCP.md").read_text()
    example = doc.split("```python\n", 1)[1].split("```", 1)[0]
    assert "http://127.0.0.1:8787/mcp" in example
    example = example.replace("http://127.0.0.1:8787", engine.base_url)
    env = {**engine.env, "ZORA_TOKEN": user_token(engine.env["ZORA_JWT_SECRET"])}
    done = subprocess.run([sys.executable, "-c", example], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("completed "), done.stdout
