"""The deployment's processes as subprocesses, for benchmarks and tests: ``compose.yaml`` without
Docker.

Each web worker is the real ``motcua serve`` on a free port; they share the database and Redis
given, so the set behaves like N workers behind a load balancer. Sender workers (``motcua
worker``) and the sandbox portal (``motcua portal-sandbox``) run beside them when asked, as in
``compose.yaml``. The database is migrated once, before any worker starts, as ``motcua db
upgrade`` is meant to be run. ``python -m bench.topology`` runs the whole set until Ctrl+C.
"""

from __future__ import annotations

import asyncio
import os
import resource
import secrets
import signal
import socket
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
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


def allow_open_files(users: int) -> None:
    """Raise this process's soft limit of open files, which the workers it starts inherit, to
    what ``users`` simulated citizens need: a connection each on this side and on a worker's,
    two for a page that went to the other worker while its own was away, beside the pools,
    the platform fakes and the files. Many systems' soft limit, 1,024, runs out from about 300
    citizens, and a connection refused for it looks like a fault of the server's."""
    needed = 4 * users + 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            raise SystemExit(
                f"{users} citizens need {needed} open files; the hard limit is {hard} "
                "(raise it: ulimit -Hn, or LimitNOFILE for a service)"
            )
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


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
    senders: int = 0,
    portal: bool = False,
    cpus: Sequence[int] = (),
    pids: list[int] | None = None,
) -> AsyncIterator[list[str]]:
    """``count`` web workers started at the same moment; yields their URLs once all are healthy.

    Args:
        count: how many ``motcua serve`` processes.
        database_url: the shared database (migrated first); a new SQLite file when None.
        redis_url: the shared Redis, or None for in-process locks.
        env: further ``MOTCUA_*`` settings for every worker (platform credentials, rates);
            the web chat's rate limits are :data:`UNLIMITED` unless set here.
        ports: the ports to listen on (free ones when None), e.g. to know a public URL first.
        quiet: drop the workers' logs instead of passing them through.
        senders: how many ``motcua worker`` processes to start beside them (healthy too).
        portal: run the sandbox portal as a process of its own that every worker files with,
            as a deployment has one portal (otherwise each worker runs its own in-process).
        cpus: pin web worker ``n`` to core ``cpus[n]`` with ``taskset`` (not pinned when empty).
        pids: filled with the web workers' process ids (for a profiler to attach to).
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

            async def start(
                *command: str, port: int, data_dir: str, prefix: Sequence[str] = ()
            ) -> asyncio.subprocess.Process:
                process = await asyncio.create_subprocess_exec(
                    *prefix,
                    MOTCUA,
                    *command,
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    env={**base, "MOTCUA_DATA_DIR": data_dir},
                    stdout=output,
                    stderr=output,
                )
                stack.push_async_callback(_stop, process)
                return process

            if (senders or portal) and not base.get("MOTCUA_PUBLIC_URL"):
                # Where the portal's webhooks and platforms reach the web workers: the load
                # balancer's address in a deployment, the first web worker's here.
                base["MOTCUA_PUBLIC_URL"] = f"http://127.0.0.1:{ports[0]}"
            if portal:
                portal_port = free_port()
                base["MOTCUA_PORTAL_URL"] = f"http://127.0.0.1:{portal_port}"
                base["MOTCUA_PORTAL_API_KEY"] = secrets.token_urlsafe(24)
                base["MOTCUA_PORTAL_WEBHOOK_SECRET"] = secrets.token_urlsafe(24)
                sandbox = await start("portal-sandbox", port=portal_port, data_dir=f"{data}/portal")
                await _wait_listening(portal_port, sandbox)
            started = []
            for n, port in enumerate(ports):
                prefix = ["taskset", "-c", str(cpus[n])] if n < len(cpus) else []
                process = await start(
                    "serve", port=port, data_dir=f"{data}/worker-{n}", prefix=prefix
                )
                started.append((f"http://127.0.0.1:{port}", process))
                if pids is not None:
                    pids.append(process.pid)  # taskset runs the worker in its own process
            for n in range(senders):
                port = free_port()
                process = await start("worker", port=port, data_dir=f"{data}/sender-{n}")
                started.append((f"http://127.0.0.1:{port}", process))
            await asyncio.gather(*(_wait_healthy(url, process) for url, process in started))
            yield [url for url, _ in started[: len(ports)]]


class ServerProcess:
    """One ``motcua serve`` (or ``command``) process on its own port, logging to ``log_path``,
    that a test or a fault run can start, SIGKILL and start again."""

    def __init__(
        self,
        env: Mapping[str, str],
        log_path: Path,
        port: int | None = None,
        command: str = "serve",
    ) -> None:
        self.command = command
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env, "MOTCUA_PORT": str(self.port)}
        self.log_path = log_path
        self._process: asyncio.subprocess.Process | None = None

    async def start(self, within: float = 60.0) -> None:
        """Start the worker and wait until ``/healthz`` answers 200."""
        with self.log_path.open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                MOTCUA, self.command, env=self.env, stdout=log, stderr=log
            )
        async with asyncio.timeout(within), aiohttp.ClientSession() as http:
            while True:
                if self._process.returncode is not None:
                    log_tail = self.log_path.read_text()[-2000:]
                    raise RuntimeError(f"motcua {self.command} exited: {log_tail}")
                try:
                    async with http.get(self.url + "/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)

    async def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when a machine or a container dies."""
        assert self._process is not None
        self._process.send_signal(signal.SIGKILL)
        await self._process.wait()

    async def stop(self) -> None:
        """SIGTERM, as a deployment stops a worker, and wait for it to exit."""
        if self._process is not None and self._process.returncode is None:
            self._process.terminate()
            try:
                async with asyncio.timeout(30):
                    await self._process.wait()
            except TimeoutError:
                await self.kill()


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


async def _wait_listening(port: int, process: asyncio.subprocess.Process) -> None:
    for _ in range(3000):
        if process.returncode is not None:
            raise SystemExit(f"motcua portal-sandbox exited with status {process.returncode}")
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise SystemExit("motcua portal-sandbox did not listen in 300 s")


async def _wait_healthy(url: str, server: asyncio.subprocess.Process) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(3000):
            if server.returncode is not None:
                raise SystemExit(f"a motcua worker exited with status {server.returncode}")
            try:
                async with session.get(url + "/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("a motcua worker did not become healthy in 300 s")


async def open_messages(database: str) -> int:
    """Inbox rows of ``database`` whose turn or replies are not done yet: none once every
    message a run sent is answered."""
    engine = create_async_engine(database)
    try:
        async with engine.connect() as connection:
            found = await connection.scalar(
                text("SELECT count(*) FROM inbox WHERE status NOT IN ('done', 'failed')")
            )
            return int(found or 0)
    finally:
        await engine.dispose()


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
