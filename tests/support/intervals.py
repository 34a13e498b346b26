"""The product's look-again intervals, set short for every deployment a test starts.

A worker looks for inbox messages other workers left every second, for announcements that
``motcua announce`` queued every two seconds, and tries a Redis that went away every two
seconds; a ``motcua chat`` prompt looks for news every two. In production that is one query
or one refused connection an interval; in a test, seconds it sits out before what it checks.
Tests that build a component themselves still choose its interval; these reach the ``motcua``
processes tests start (through the environment) and the apps ``support.apps.serving`` builds.
"""

from __future__ import annotations

REDIS_RETRY_SECONDS = 0.5

SHORT_INTERVALS = {
    "MOTCUA_INBOX_POLL_SECONDS": "0.2",
    "MOTCUA_ANNOUNCEMENT_POLL_SECONDS": "0.2",
    "MOTCUA_CHAT_NEWS_SECONDS": "0.2",
    "MOTCUA_REDIS_RETRY_SECONDS": str(REDIS_RETRY_SECONDS),
}
