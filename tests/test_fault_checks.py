"""What ``make faults`` counts as a Telegram reply received wrongly (``bench/load_faults.py``).

A worker killed (SIGKILL) after Telegram accepted a reply and before its done mark committed
leaves the row answered: the worker that takes it over when the dead claim runs out sends that
reply again, as the README's Reliability section says (Telegram takes no idempotency key). The
run allows that one copy, and nothing else: a copy received at another moment, sent again
before the dead claim could run out, or with anything else out of place is still wrong.
"""

from __future__ import annotations

import pytest

from bench.load_faults import KILLED_PHASE, Citizen, FaultRun, Phase
from bench.scrapes import Scrapes

BEGAN = 1000.0
KILLED = BEGAN + 10.0
LEASE = 30.0
REPLIES = ["Giấy khai sinh: mang CCCD.", "Lệ phí: miễn phí.", "Thời hạn: trong ngày."]


def run_of(received: list[tuple[str, float]], logged: list[str] = REPLIES) -> FaultRun:
    """A run in which one Telegram citizen got ``received`` (text, seconds after the start)
    for the ``logged`` replies, with the worker killed 10 s in."""
    citizen = Citizen(
        "telegram",
        "7400010",
        received=[text for text, _at in received],
        received_at=[BEGAN + at for _text, at in received],
    )
    return FaultRun(
        citizens=[citizen],
        turns={},
        replies={("telegram", "7400010"): list(logged)},
        unanswered=0,
        refusals=[],
        scrapes=Scrapes(),
        logs=[],
        timeline=[],
        phases=[
            Phase("before the faults", BEGAN, KILLED),
            Phase(KILLED_PHASE, KILLED, BEGAN + 27.0),
        ],
        began=BEGAN,
        wall=100.0,
        lease=LEASE,
    )


def test_each_reply_once_in_order_is_right() -> None:
    run = run_of([(REPLIES[0], 2.5), (REPLIES[1], 7.4), (REPLIES[2], 14.0)])

    assert (run.replies_wrong, run.resent_after_kill) == ([], [])


def test_the_reply_in_flight_at_the_kill_sent_again_once_the_claim_ran_out_is_allowed() -> None:
    # make faults, 7 December: received at the SIGKILL, again 30 s later, then the next answer
    run = run_of([(REPLIES[0], 2.5), (REPLIES[1], 10.0), (REPLIES[1], 40.0), (REPLIES[2], 40.0)])

    assert run.replies_wrong == []
    assert run.resent_after_kill == ["7400010"]


def test_a_row_of_several_messages_sent_again_whole_after_the_kill_is_wrong() -> None:
    # The dead worker got the row's two messages out; the first one's acceptance was recorded
    # before the second was sent, so only the second may come again.
    first, second = REPLIES[1].split(": ")
    run = run_of(
        [(REPLIES[0], 2.5), (first, 9.9), (second, 10.0), (first, 40.0), (second, 40.0)],
        logged=[REPLIES[0], first, second],
    )

    assert run.replies_wrong == ["7400010"]
    assert run.resent_after_kill == []


def test_the_second_message_of_a_row_in_flight_at_the_kill_sent_again_is_allowed() -> None:
    first, second = REPLIES[1].split(": ")
    run = run_of(
        [(REPLIES[0], 2.5), (first, 9.9), (second, 10.0), (second, 40.0), (REPLIES[2], 40.0)],
        logged=[REPLIES[0], first, second, REPLIES[2]],
    )

    assert run.replies_wrong == []
    assert run.resent_after_kill == ["7400010"]


def test_a_row_the_dead_worker_sent_in_part_and_the_next_sent_on_is_allowed() -> None:
    first, second = REPLIES[1].split(": ")
    run = run_of(
        [(REPLIES[0], 2.5), (first, 10.0), (first, 40.0), (second, 40.0)],
        logged=[REPLIES[0], first, second],
    )

    assert run.replies_wrong == []
    assert run.resent_after_kill == ["7400010"]


@pytest.mark.parametrize(
    "received",
    [
        # sent twice at once, long after the kill (a send whose mark was lost, say)
        [(REPLIES[0], 2.5), (REPLIES[1], 50.0), (REPLIES[1], 50.0), (REPLIES[2], 55.0)],
        # received before the kill: its mark had time to commit
        [(REPLIES[0], 2.5), (REPLIES[1], 7.4), (REPLIES[1], 40.0), (REPLIES[2], 40.0)],
        # sent again before the dead worker's claim could have run out
        [(REPLIES[0], 2.5), (REPLIES[1], 10.0), (REPLIES[1], 12.0), (REPLIES[2], 40.0)],
        # another message between the two copies: not the row the dead worker held
        [(REPLIES[0], 2.5), (REPLIES[1], 10.0), (REPLIES[2], 40.0), (REPLIES[1], 40.0)],
        # the copy explains one difference, but a reply is missing besides
        [(REPLIES[0], 2.5), (REPLIES[1], 10.0), (REPLIES[1], 40.0)],
        # two copies
        [
            (REPLIES[0], 2.5),
            (REPLIES[1], 10.0),
            (REPLIES[1], 40.0),
            (REPLIES[1], 40.1),
            (REPLIES[2], 45.0),
        ],
    ],
)
def test_any_other_repeat_or_gap_is_wrong(received: list[tuple[str, float]]) -> None:
    run = run_of(received)

    assert run.replies_wrong == ["7400010"]
    assert run.resent_after_kill == []
