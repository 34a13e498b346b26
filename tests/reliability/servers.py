"""Real ``motcua serve`` workers for tests (``bench.workers.ServerProcess``), each with its own
data directory and log, a one-procedure knowledge base, and what their database logged."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from pathlib import Path

from support.procedures import BIRTH

from bench.workers import MOTCUA, ServerProcess, free_port
from knowledge.store import save_knowledge_base

__all__ = [
    "MOTCUA",
    "ServerProcess",
    "free_port",
    "incoming_texts",
    "small_knowledge",
    "worker_processes",
]


def small_knowledge(folder: Path) -> Path:
    """A one-procedure knowledge base: the worker starts in a moment instead of seconds."""
    path = folder / "kb.json.gz"
    save_knowledge_base([BIRTH], path)
    return path


def sandboxed_alone(folder: Path, sandbox_port: int) -> dict[str, str]:
    """``motcua serve`` as a newcomer runs it: no database, no portal settings (so the sandbox
    portal runs in its process, here on ``sandbox_port``), on a one-procedure knowledge base."""
    return {
        "MOTCUA_DATA_DIR": str(folder),
        "MOTCUA_KNOWLEDGE_PATH": str(small_knowledge(folder)),
        "MOTCUA_DATABASE_URL": "",
        "MOTCUA_PORTAL_URL": "",
        "MOTCUA_PORTAL_API_KEY": "",
        "MOTCUA_PORTAL_WEBHOOK_SECRET": "",
        "MOTCUA_PORTAL_SANDBOX_PORT": str(sandbox_port),
    }


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
