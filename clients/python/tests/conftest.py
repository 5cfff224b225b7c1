"""A real ``zora serve`` for each test, on a fresh SQLite file and on a fresh PostgreSQL
database (``ZORA_TEST_DATABASE_URL``, which the project's test command sets), with a
secret of its own; and tokens signed with it."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from zora_testing import Engine

ROOT = Path(__file__).resolve().parents[3]


def zora_binary() -> str:
    binary = os.environ.get("ZORA_BIN") or str(ROOT / "target" / "debug" / "zora")
    if not Path(binary).exists():
        pytest.fail(
            f"no zora binary at {binary}: build it with `cargo build -p zora-cli` "
            "(or set ZORA_BIN), or run the project's test command, scripts/test"
        )
    return binary


def postgres_url() -> str:
    url = os.environ.get("ZORA_TEST_DATABASE_URL")
    if not url:
        pytest.fail(
            "ZORA_TEST_DATABASE_URL is not set: run the project's test command "
            "(scripts/test), or export it as `scripts/pg-up` prints it"
        )
    if shutil.which("psql") is None:
        pytest.fail("psql is not installed: the PostgreSQL tests create their database with it")
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with running_engine(request.param, tmp_path) as engine:
        yield engine


@contextlib.contextmanager
def running_engine(store: str, tmp_path: Path, *serve_args: str) -> Iterator[Engine]:
    """``zora serve`` (with ``serve_args``) on a fresh database of ``store``, stopped and
    its database dropped after."""
    binary = zora_binary()
    secret = uuid.uuid4().hex
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ZORA_TENANT_ID")}
    env["ZORA_JWT_SECRET"] = secret
    dropped = None
    if store == "sqlite":
        database = f"sqlite://{tmp_path / 'zora.db'}"
    else:
        admin = postgres_url()
        name = f"zora_py_{uuid.uuid4().hex[:12]}"
        subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True)
        database = _with_database(admin, name)
        dropped = (admin, name)
        subprocess.run([binary, "migrate", "--database-url", database], env=env, check=True,
                       stdout=subprocess.DEVNULL)
    env["DATABASE_URL"] = database
    engine = Engine.start(binary, database, env, tmp_path, *serve_args)
    try:
        yield engine
    finally:
        engine.stop()
        if dropped:
            admin, name = dropped
            subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
                           check=False)


def _with_database(url: str, name: str) -> str:
    """``url`` naming the database ``name`` instead of its own."""
    head, _, query = url.partition("?")
    scheme, _, rest = head.partition("://")
    authority = rest.split("/", 1)[0]
    return f"{scheme}://{authority}/{name}" + (f"?{query}" if query else "")
