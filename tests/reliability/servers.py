"""``motcua serve`` (or ``worker``) as a real process tests can start, SIGKILL and start again."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import sys
from collections.abc import Mapping
from pathlib import Path

import aiohttp
from support.procedures import BIRTH

from knowledge.store import save_knowledge_base

MOTCUA = str(Path(sys.executable).with_name("motcua"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def small_knowledge(folder: Path) -> Path:
    """A one-procedure knowledge base: the worker starts in a moment instead of seconds."""
    path = folder / "kb.json.gz"
    save_knowledge_base([BIRTH], path)
    return path


class ServerProcess:
    """One ``motcua serve`` (or ``command``) process on its own port; logs go to ``log_path``."""

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


def worker_processes(env: Mapping[str, str], folder: Path, ports: list[int]) -> list[ServerProcess]:
    """``motcua serve`` workers sharing ``env``, one a port, each with its own data directory
    and log in ``folder`` (what is shared lives in the database and Redis)."""
    return [
        ServerProcess(
            {**env, "MOTCUA_DATA_DIR": str(folder / f"worker-{n}")},
            folder / f"worker-{n}.log",
            port,
        )
        for n, port in enumerate(ports)
    ]


def incoming_texts(database: Path, channel: str) -> dict[str, list[str]]:
    """What the message log says each user of ``channel`` wrote, from a SQLite file."""
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT user_id, text FROM message_log WHERE channel = ? AND direction = 'in' "
            "ORDER BY id",
            (channel,),
        ).fetchall()
    said: dict[str, list[str]] = {}
    for user_id, text in rows:
        said.setdefault(user_id, []).append(text)
    return said
