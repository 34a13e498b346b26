"""``motcua serve`` workers in subprocesses, as a deployment runs them, for benchmarks and tests.

Each worker is the real command on a free port; they share the database and Redis given, so
the set behaves like N workers behind a load balancer. The database is migrated once, before
any worker starts, as ``motcua db upgrade`` is meant to be run.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import aiohttp
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

MOTCUA = str(Path(sys.executable).with_name("motcua"))

UNLIMITED = {
    "MOTCUA_LIMIT_WEB_ADDRESS": "1000000/minute",
    "MOTCUA_LIMIT_WEB_IDENTITY": "1000000/minute",
}
"""Rate limits out of the way: every simulated citizen comes from this machine's one address,
and a benchmark measures the server, not its limits. ``env`` may set them again."""


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@asynccontextmanager
async def workers(
    count: int,
    *,
    database_url: str | None = None,
    redis_url: str | None = None,
    env: Mapping[str, str] | None = None,
    ports: list[int] | None = None,
    quiet: bool = True,
) -> AsyncIterator[list[str]]:
    """``count`` workers started at the same moment; yields their base URLs once all are healthy.

    Args:
        count: how many ``motcua serve`` processes.
        database_url: the shared database (migrated first); a new SQLite file when None.
        redis_url: the shared Redis, or None for in-process locks.
        env: further ``MOTCUA_*`` settings for every worker (platform credentials, rates);
            the web chat's rate limits are :data:`UNLIMITED` unless set here.
        ports: the ports to listen on (free ones when None), e.g. to know a public URL first.
        quiet: drop the workers' logs instead of passing them through.
    """
    ports = ports or [free_port() for _ in range(count)]
    with tempfile.TemporaryDirectory(prefix="motcua-workers-") as data:
        base = {**os.environ, **UNLIMITED, **(env or {})}
        base.pop("MOTCUA_REDIS_URL", None)
        # Shared state goes through the database and Redis only; each worker has its own data
        # directory, as on separate machines (the sandbox portal keeps its file there).
        base["MOTCUA_DATABASE_URL"] = database_url or f"sqlite+aiosqlite:///{data}/motcua.sqlite3"
        if redis_url:
            base["MOTCUA_REDIS_URL"] = redis_url
        if database_url:
            await _upgrade(base)
        output = asyncio.subprocess.DEVNULL if quiet else None
        async with AsyncExitStack() as stack:
            started = []
            for n, port in enumerate(ports):
                own = Path(data) / f"worker-{n}"
                process = await asyncio.create_subprocess_exec(
                    MOTCUA,
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    env={**base, "MOTCUA_DATA_DIR": str(own)},
                    stdout=output,
                    stderr=output,
                )
                stack.push_async_callback(_stop, process)
                started.append((f"http://127.0.0.1:{port}", process))
            await asyncio.gather(*(_wait_healthy(url, process) for url, process in started))
            yield [url for url, _ in started]


async def _upgrade(env: Mapping[str, str]) -> None:
    upgrade = await asyncio.create_subprocess_exec(
        MOTCUA, "db", "upgrade", env=env, stdout=asyncio.subprocess.DEVNULL
    )
    if await upgrade.wait() != 0:
        raise SystemExit("motcua db upgrade failed")


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout=30)
        except TimeoutError:
            process.kill()
            await process.wait()


async def _wait_healthy(url: str, server: asyncio.subprocess.Process) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(3000):
            if server.returncode is not None:
                raise SystemExit(f"motcua serve exited with status {server.returncode}")
            try:
                async with session.get(url + "/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("motcua serve did not become healthy in 300 s")


@asynccontextmanager
async def scratch_postgres(admin_url: str) -> AsyncIterator[str]:
    """A new, empty PostgreSQL database next to ``admin_url``'s, dropped afterwards."""
    name = f"motcua_scratch_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()
