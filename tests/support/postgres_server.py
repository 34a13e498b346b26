"""A PostgreSQL server of the test's own, on a port of its own, that the test may stop and start.

The machine's PostgreSQL cannot be restarted by a test without taking every other test's database
with it, so the fault runs start their own from the same binaries (``initdb`` into a scratch
directory, trust authentication, nothing synced to disk) and restart that one. PostgreSQL refuses
to run as root; when the tests are root, the server runs as the ``postgres`` account.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bench.workers import free_port

SERVER_ACCOUNT = "postgres"


def _as_server_account(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", SERVER_ACCOUNT, "--", *argv]


def available() -> bool:
    """Whether this machine can run a server of the test's own (binaries and, as root, account)."""
    if shutil.which("pg_ctl") is None:
        return False
    if os.geteuid() != 0:
        return True
    try:
        pwd.getpwnam(SERVER_ACCOUNT)
    except KeyError:
        return False
    return shutil.which("runuser") is not None


class PostgresServer:
    """One cluster in ``directory``, listening on ``127.0.0.1:port`` only."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"
        self.log = directory / "server.log"
        """The server's own log, written by the server account."""
        self._data = directory / "data"
        self.running = False

    async def initialise(self) -> None:
        await self._pg_ctl("initdb", "-o", "-A trust -U postgres --no-sync")

    async def start(self) -> None:
        """Start and wait until it accepts logins (``pg_ctl -w``)."""
        # Room for three workers' whole pools (30 connections each by default) and the run's
        # own reads beside them: the default 100 leaves too few once a fourth process connects.
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= "
            "-c fsync=off -c max_connections=200"
        )
        await self._pg_ctl("start", "-w", "-t", "60", "-l", str(self.log), "-o", options)
        self.running = True

    async def stop(self) -> None:
        """Shut down as an administrator's restart does: open sessions are ended (fast mode)."""
        if self.running:
            await self._pg_ctl("stop", "-w", "-m", "fast")
            self.running = False

    async def _pg_ctl(self, *arguments: str) -> None:
        command = await asyncio.create_subprocess_exec(
            *_as_server_account(["pg_ctl", "-D", str(self._data), *arguments]),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _out, err = await command.communicate()
        assert command.returncode == 0, err.decode(errors="replace")


@asynccontextmanager
async def postgres_server() -> AsyncIterator[PostgresServer]:
    """A started server in a scratch directory the server account may enter, removed after."""
    directory = Path(tempfile.mkdtemp(prefix="motcua-pg-"))
    try:
        if os.geteuid() == 0:
            account = pwd.getpwnam(SERVER_ACCOUNT)
            os.chown(directory, account.pw_uid, account.pw_gid)
        server = PostgresServer(directory)
        await server.initialise()
        await server.start()
        try:
            yield server
        finally:
            await server.stop()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
