"""The sandbox portal conforms to the contract's OpenAPI document (schemathesis).

Schemathesis generates requests from ``integrations/portal/openapi.yaml``, valid and invalid,
and checks that the sandbox never fails with a 5xx and that every answer's status, content type
and body are the ones the document declares. The case count is small here; raise
``MOTCUA_CONTRACT_EXAMPLES`` for a longer run.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from portal_support import running_sandbox
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

import integrations.portal

OPENAPI = Path(integrations.portal.__file__).parent / "openapi.yaml"
EXAMPLES = int(os.environ.get("MOTCUA_CONTRACT_EXAMPLES", "8"))


class SandboxThread:
    """The sandbox served from its own event loop in a thread (schemathesis calls are sync)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.url = ""
        self.key = ""
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve()), daemon=True)

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with running_sandbox(self._path) as portal:
            self.url, self.key = portal.url, portal.sandbox.api_key
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> SandboxThread:
        self._thread.start()
        assert self._ready.wait(30), "the sandbox did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxThread]:
    """One sandbox for every generated case."""
    with SandboxThread(tmp_path_factory.mktemp("contract")) as running:
        yield running


CONTRACT = schemathesis.openapi.from_path(OPENAPI)
OPERATIONS = {op.label: op for op in (r.ok() for r in CONTRACT.get_all_operations())}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_the_sandbox_keeps_the_contract(label: str, sandbox: SandboxThread) -> None:
    headers = {"Authorization": f"Bearer {sandbox.key}"}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=OPERATIONS[label].as_strategy())
    def conforms(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=sandbox.url, headers=headers, checks=CHECKS)

    conforms()
