"""Citizens keep writing on the web chat and Telegram to two real web workers and a sender
while a web worker is killed and started again, PostgreSQL is shut down and started again,
Redis is stopped for 30 s and Telegram answers 502 and then 429 (``bench.load_faults``;
``python -m bench.load --faults`` is the full-size run).

Afterwards nothing is lost, doubled or reordered, every turn is answered, each Telegram
citizen got each reply exactly once and in order (but for a reply Telegram accepted from the
killed worker before its done mark committed: sent once more when the dead claim runs out, as
the README says, and allowed only so), every failure shows in the processes'
``/metrics`` (scraped every second, in the phase of the fault that caused it) and in their
logs, and no log line names a citizen or quotes them. The killed worker's counts stay in the
run's totals and its restart shows. Nobody intervenes: the run restarts the killed worker as a
supervisor would, and everything else recovers by itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from reliability.servers import small_knowledge
from support.postgres_server import available

from bench.load_faults import KILLED, KILLED_PHASE, report, run_with_faults

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(not available(), reason="needs PostgreSQL's pg_ctl to run a server"),
]

CITIZENS = 40
"""Half on the web chat, half on Telegram: what this shared two-core machine carries while the
test's own fake platform, balancer and citizens run beside the workers."""

THINK = 4.0
"""Mean seconds between an answer and the citizen's next question."""


async def test_load_through_a_killed_worker_and_away_backends_loses_and_doubles_nothing(
    tmp_path: Path,
) -> None:
    run = await run_with_faults(
        tmp_path,
        users=CITIZENS,
        duration=0.0,  # as long as the faults last
        think=THINK,
        env={"MOTCUA_KNOWLEDGE_PATH": str(small_knowledge(tmp_path))},
    )
    print(report(run))  # shown when an assertion fails
    events = [event for _at, event in run.timeline]
    assert "every message answered" in events, events
    assert run.messages >= 10 * CITIZENS  # the load went on through every fault
    assert (run.lost, run.doubled, run.out_of_order, run.unanswered) == (0, 0, 0, 0)
    assert run.replies_wrong == []
    assert run.late == 0

    metrics = run.scrapes
    killed = run.failures(run.phase(KILLED_PHASE))
    assert killed.get(f'restarts{{target="{KILLED}"}}') == 1, killed
    assert metrics.restarts(KILLED) == metrics.restarts() == 1  # the others ran throughout
    messages_in = sum(
        metrics.total("motcua_messages_in_total", channel=channel)
        for channel in ("web", "telegram")
    )
    live = sum(
        metrics.live("motcua_messages_in_total", channel=channel) for channel in ("web", "telegram")
    )
    assert live < messages_in <= run.messages  # the killed life's counts kept, none twice

    database = run.failures(run.phase("PostgreSQL shut down"))
    assert database.get('motcua_backend_errors_total{backend="database"}', 0) >= 1, database
    redis = run.phase("Redis stopped")
    assert run.failures(redis).get('motcua_backend_errors_total{backend="redis"}', 0) >= 1
    assert metrics.peak("motcua_backend_degraded", redis.begin, redis.end, backend="redis") >= 1
    assert metrics.gauge("motcua_backend_degraded", backend="redis") == 0  # back on Redis
    bad_gateway = run.failures(run.phase("Telegram answers 502"))
    temporary = 'motcua_send_errors_total{channel="telegram",kind="TemporaryFailure"}'
    assert bad_gateway.get(temporary, 0) >= 1, bad_gateway
    flood = run.failures(run.phase("Telegram answers 429"))
    assert flood.get('motcua_rate_limit_waits_total{limit="telegram_flood"}', 0) >= 1, flood
    assert run.refused["HTTP 503"] >= 1  # the pages were told the database was away
    dropped = sum(n for kind, n in run.refused.items() if not kind.startswith("HTTP"))
    assert dropped >= 1  # and the requests the killed worker dropped went to the other one

    for kind in ("redis", "redis back", "database", "telegram 5xx", "telegram 429"):
        assert run.log_lines(kind) >= 1, kind
    assert run.personal_data_in_logs() == []
