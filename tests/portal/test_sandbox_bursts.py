"""The sandbox under a burst: an officer moving many dossiers at once costs one commit for the
moves and one for their webhooks' outcomes, and a move the status machine refuses fails alone."""

from __future__ import annotations

import asyncio
from pathlib import Path

from portal_support import body, receiving, running_sandbox

from integrations.portal.sandbox.portal import ContractError

BURST = 30


async def test_moves_asked_at_once_are_made_in_one_transaction_and_a_refused_one_fails_alone(
    tmp_path: Path,
) -> None:
    async with running_sandbox(tmp_path) as portal:
        codes = [(await portal.client.create_dossier(body(), f"k{n}")).code for n in range(BURST)]
        traced: list[str] = []
        await portal.sandbox.store.db.set_trace_callback(traced.append)
        moves = [portal.sandbox.move(code, "accepted", "Đủ giấy tờ") for code in codes]
        moves.append(portal.sandbox.move(codes[0], "result_ready"))  # not from accepted
        moves.append(portal.sandbox.move("000.00.20.H39-270101-9999", "accepted"))
        outcomes = await asyncio.gather(*moves, return_exceptions=True)
        await portal.sandbox.store.db.set_trace_callback(None)
        shown = [await portal.client.get_dossier(code, "001190012345") for code in codes]
    made, illegal, unknown = outcomes[:BURST], outcomes[BURST], outcomes[BURST + 1]
    assert [view["status"] for view in made if isinstance(view, dict)] == ["accepted"] * BURST
    assert [d.status for d in shown] == ["accepted"] * BURST
    assert [c.note for d in shown for c in d.history][1::2] == ["Đủ giấy tờ"] * BURST
    assert isinstance(illegal, ContractError) and illegal.status == 409
    assert isinstance(unknown, ContractError) and unknown.status == 404
    assert sum(s.startswith("COMMIT") for s in traced) == 1
    assert sum(s.startswith("SELECT code, procedure_code") for s in traced) == 1


async def test_a_burst_of_webhooks_is_sent_side_by_side_and_kept_in_one_commit(
    tmp_path: Path,
) -> None:
    async with receiving() as receiver, running_sandbox(tmp_path) as portal:
        codes = [
            (await portal.client.create_dossier(body(callback_url=receiver.url), f"k{n}")).code
            for n in range(BURST)
        ]
        traced: list[str] = []
        loop, executed = asyncio.get_running_loop(), asyncio.Event()

        def trace(statement: str) -> None:  # called on the store's own thread
            traced.append(statement)
            loop.call_soon_threadsafe(executed.set)

        await portal.sandbox.store.db.set_trace_callback(trace)
        await asyncio.gather(*(portal.sandbox.move(code, "accepted") for code in codes))
        await receiver.wait_for(BURST)
        async with asyncio.timeout(10):
            while not _kept_after_acknowledged(traced):
                executed.clear()
                await executed.wait()
        await portal.sandbox.store.db.set_trace_callback(None)
    assert sum(s.startswith("UPDATE webhooks SET delivered_at") for s in traced) == BURST
    assert sum(s.startswith("COMMIT") for s in traced) == 2  # the moves', the outcomes'


async def test_webhooks_refused_in_a_burst_are_sent_again_and_none_twice_once_acknowledged(
    tmp_path: Path,
) -> None:
    failures = BURST // 2
    async with (
        receiving(failures=failures) as receiver,
        running_sandbox(tmp_path, webhook_backoff=0.05) as portal,
    ):
        codes = [
            (await portal.client.create_dossier(body(callback_url=receiver.url), f"k{n}")).code
            for n in range(BURST)
        ]
        await asyncio.gather(*(portal.sandbox.move(code, "accepted") for code in codes))
        await receiver.wait_for(BURST + failures)
        await asyncio.sleep(0.3)  # anything sent a second time after its 200 arrives meanwhile
    acknowledged = [raw for _headers, raw in receiver.calls[failures:]]
    assert len(receiver.calls) == BURST + failures
    assert len(set(acknowledged)) == BURST


def _kept_after_acknowledged(traced: list[str]) -> bool:
    """Whether a commit followed the last webhook marked acknowledged."""
    marks = [n for n, s in enumerate(traced) if s.startswith("UPDATE webhooks SET delivered_at")]
    return bool(marks) and "COMMIT" in traced[marks[-1] :]
