"""The product's look-again intervals, set short for every deployment a test starts.

A worker looks for inbox messages other workers left every second, for announcements that
``motcua announce`` queued every two seconds, and tries a Redis that went away every two
seconds: in production one query or one refused connection per interval, in a test the
seconds it waits for what it checks. Tests that build a component themselves still choose
its interval; these reach ``motcua serve`` processes (through the environment) and the apps
``support.apps.serving`` builds.
"""

from __future__ import annotations

REDIS_RETRY_SECONDS = 0.5

SHORT_INTERVALS = {
    "MOTCUA_INBOX_POLL_SECONDS": "0.2",
    "MOTCUA_ANNOUNCEMENT_POLL_SECONDS": "0.2",
    "MOTCUA_REDIS_RETRY_SECONDS": str(REDIS_RETRY_SECONDS),
}
