"""Settings: the one module that reads the environment.

Every setting has a safe embedded default, so ``motcua serve`` runs on a fresh machine with a
SQLite file and the web chat on localhost.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import TypeVar

from bot.ratelimits import DEFAULT_LIMITS, parse_limit
from dialogs.ports import Limit


@dataclass(frozen=True, slots=True)
class Settings:
    """All configuration, read once at start-up."""

    data_dir: Path
    database_url: str
    redis_url: str | None
    redis_max_connections: int
    """Connections in this process's one Redis pool; a request waits for a free one."""

    redis_pool_timeout: float
    """Seconds a request waits for a free Redis connection before it fails."""

    db_pool_size: int
    """Turns answered at once, and the PostgreSQL connections kept open for them (SQLite has
    its own single-writer queue); the inbox's own units of work get theirs out of
    ``db_max_overflow``, kept open too (``bot.inbox.UNITS_BESIDE_TURNS``)."""

    db_max_overflow: int
    """Extra PostgreSQL connections beyond ``db_pool_size``; all but those the inbox keeps are
    opened under load and closed after."""

    db_pool_timeout: float
    """Seconds a unit of work waits for a free database connection before it fails."""

    host: str
    port: int
    public_url: str | None
    trusted_proxies: tuple[IPv4Network | IPv6Network, ...]
    """Reverse proxies (addresses or networks) whose ``X-Forwarded-For`` names the client.

    Without them the client is the connection's peer; a header from anyone else is ignored,
    or a client could name any address it likes and escape its address's rate limit.
    """

    rate_limits: Mapping[Limit, str]
    """Requests allowed per address or identity and period (see ``bot.ratelimits``)."""

    default_locale: str
    knowledge_path: Path | None
    knowledge_sources: Path | None
    """The folder of portal data files a console import rebuilds from (the shipped ones by
    default); an uploaded file replaces the one of the same name."""
    cache_dir: Path | None
    """Where the knowledge base's built search index is kept for the next start
    (``knowledge.cache``), if anywhere: a start that finds it skips two seconds of indexing,
    but a worker that read it back idles about 5 MB higher, and one that built and wrote it
    about 23 MB higher until it starts again (``bench/memory.md``), so it is not kept unless
    asked for."""
    message_log_days: int
    """Days a logged message (what a user typed, what motcua answered) is kept, 1 to 36500.

    Older messages are deleted hourly, and by ``motcua db purge``. Personal data may be kept
    only as long as needed (Decree 13/2023/NĐ-CP); the log serves to show a recent conversation
    again, so 1 keeps just the last day. There is no "keep forever" value.
    """

    retention_days: int
    """Days other personal data is kept after the citizen last used it, 1 to 36500.

    Conversations, reminders, linked apps, messaging windows: see ``bot.personal_data``.
    A citizen who has not written for this long is forgotten (hourly, and by ``motcua db
    purge``); reminders not yet delivered are kept.
    """
    inbox_lease_seconds: float
    """Seconds a message being processed stays with its worker unless renewed: how long a
    worker that died mid-message delays it (the live holder renews every third of it)."""
    announcement_lease_seconds: float
    """Seconds an announcement's delivery stays with the worker that claimed it: how long a
    worker that died mid-broadcast delays the deliveries it held (``bot.announcements``)."""
    inbox_poll_seconds: float
    """Seconds between a worker's looks for messages another worker accepted or left: the
    longest such a message waits for an idle worker (each look is one query)."""
    announcement_poll_seconds: float
    """Seconds between looks for announcements that fell due or were queued by ``motcua
    announce`` (the console wakes the sender itself); each look is one query."""
    chat_news_seconds: float
    """Seconds between a ``motcua chat`` prompt's looks for replies nobody typed for (a
    dossier's receipt and moves, a staff answer, a reminder); each look is one query."""
    redis_retry_seconds: float
    """Seconds between tries of a Redis that stopped answering, while the process keeps its
    locks and limits in memory (``bot.backends``): one refused connection an interval."""

    log_format: str
    """``text`` (one readable line a record) or ``json`` (one JSON object a line, for a log
    collector); both carry the request id and are redacted the same way (``bot.logs``)."""
    console_session_hours: int
    """Hours a staff member stays signed in to the console, 1 to 720."""

    telegram_token: str | None
    telegram_api_url: str
    telegram_webhook_secret: str | None
    telegram_chat_rate: float
    telegram_global_rate: int
    """Messages a second the bot sends over all its chats together, 1 to 1000.

    Telegram's default for a bot is about 30; a bot with paid broadcasts may send up to 1,000.
    With Redis, every worker shares one allowance.
    """
    """Messages a second the bot writes into one Telegram chat after a burst of three.

    Telegram asks for about one a second per chat and does not publish the real limit.
    """

    messenger_page_token: str | None
    messenger_app_secret: str | None
    messenger_verify_token: str | None
    messenger_api_url: str
    messenger_retry_seconds: float
    """Seconds before the first retry of a send Messenger refused for a passing reason
    (doubled each time, three retries); still refused, the reply waits in the inbox."""

    zalo_app_id: str | None
    zalo_oa_secret: str | None
    zalo_app_secret: str | None
    zalo_access_token: str | None
    zalo_refresh_token: str | None
    zalo_api_url: str
    zalo_oauth_url: str
    zalo_retry_seconds: float
    """Seconds before the first retry of a send Zalo refused for a passing reason (doubled
    each time, three retries); still refused, the reply waits in the inbox."""

    portal_url: str | None
    """The public-service portal's base URL; unset runs the sandbox portal in-process."""
    portal_api_key: str | None
    portal_webhook_secret: str | None
    portal_sandbox_port: int
    """Where the in-process sandbox portal listens on localhost (0: any free port)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``MOTCUA_*`` variables (``os.environ`` by default)."""
        e = os.environ if env is None else env
        data_dir = Path(e.get("MOTCUA_DATA_DIR", "var"))

        def opt(name: str) -> str | None:
            value = e.get(name, "").strip()
            return value or None

        return cls(
            data_dir=data_dir,
            database_url=e.get("MOTCUA_DATABASE_URL")
            or f"sqlite+aiosqlite:///{(data_dir / 'motcua.sqlite3').as_posix()}",
            redis_url=opt("MOTCUA_REDIS_URL"),
            redis_max_connections=_bounded(e, "MOTCUA_REDIS_MAX_CONNECTIONS", 50, 1, 10_000),
            redis_pool_timeout=_bounded(e, "MOTCUA_REDIS_POOL_TIMEOUT", 10.0, 0.1, 600.0),
            db_pool_size=_bounded(e, "MOTCUA_DB_POOL_SIZE", 10, 1, 1000),
            db_max_overflow=_bounded(e, "MOTCUA_DB_MAX_OVERFLOW", 20, 0, 1000),
            db_pool_timeout=_bounded(e, "MOTCUA_DB_POOL_TIMEOUT", 30.0, 0.1, 600.0),
            host=e.get("MOTCUA_HOST", "127.0.0.1"),
            port=int(e.get("MOTCUA_PORT", "8080")),
            public_url=opt("MOTCUA_PUBLIC_URL"),
            trusted_proxies=_networks(
                "MOTCUA_TRUSTED_PROXIES", e.get("MOTCUA_TRUSTED_PROXIES", "")
            ),
            rate_limits={
                limit: _rate(e, f"MOTCUA_LIMIT_{limit.name}", default)
                for limit, default in DEFAULT_LIMITS.items()
            },
            default_locale=e.get("MOTCUA_DEFAULT_LOCALE", "vi"),
            knowledge_path=Path(p) if (p := opt("MOTCUA_KNOWLEDGE_PATH")) else None,
            knowledge_sources=Path(p) if (p := opt("MOTCUA_KNOWLEDGE_SOURCES")) else None,
            cache_dir=Path(p) if (p := opt("MOTCUA_CACHE_DIR")) else None,
            message_log_days=_bounded(e, "MOTCUA_MESSAGE_LOG_DAYS", 90, 1, MAX_RETENTION_DAYS),
            retention_days=_bounded(e, "MOTCUA_RETENTION_DAYS", 365, 1, MAX_RETENTION_DAYS),
            inbox_lease_seconds=_seconds(
                "MOTCUA_INBOX_LEASE_SECONDS", e.get("MOTCUA_INBOX_LEASE_SECONDS", "10")
            ),
            announcement_lease_seconds=_seconds(
                "MOTCUA_ANNOUNCEMENT_LEASE_SECONDS",
                e.get("MOTCUA_ANNOUNCEMENT_LEASE_SECONDS", "60"),
            ),
            inbox_poll_seconds=_seconds(
                "MOTCUA_INBOX_POLL_SECONDS", e.get("MOTCUA_INBOX_POLL_SECONDS", "1")
            ),
            announcement_poll_seconds=_seconds(
                "MOTCUA_ANNOUNCEMENT_POLL_SECONDS", e.get("MOTCUA_ANNOUNCEMENT_POLL_SECONDS", "2")
            ),
            chat_news_seconds=_seconds(
                "MOTCUA_CHAT_NEWS_SECONDS", e.get("MOTCUA_CHAT_NEWS_SECONDS", "2")
            ),
            redis_retry_seconds=_seconds(
                "MOTCUA_REDIS_RETRY_SECONDS", e.get("MOTCUA_REDIS_RETRY_SECONDS", "2")
            ),
            log_format=_choice(e, "MOTCUA_LOG_FORMAT", ("text", "json")),
            console_session_hours=_bounded(e, "MOTCUA_CONSOLE_SESSION_HOURS", 8, 1, 720),
            telegram_token=opt("MOTCUA_TELEGRAM_TOKEN"),
            telegram_api_url=e.get("MOTCUA_TELEGRAM_API_URL", "https://api.telegram.org"),
            telegram_webhook_secret=opt("MOTCUA_TELEGRAM_WEBHOOK_SECRET"),
            telegram_chat_rate=float(e.get("MOTCUA_TELEGRAM_CHAT_RATE", "1.0")),
            telegram_global_rate=_bounded(e, "MOTCUA_TELEGRAM_GLOBAL_RATE", 30, 1, 1000),
            messenger_page_token=opt("MOTCUA_MESSENGER_PAGE_TOKEN"),
            messenger_app_secret=opt("MOTCUA_MESSENGER_APP_SECRET"),
            messenger_verify_token=opt("MOTCUA_MESSENGER_VERIFY_TOKEN"),
            messenger_api_url=e.get("MOTCUA_MESSENGER_API_URL", "https://graph.facebook.com/v25.0"),
            messenger_retry_seconds=_bounded(e, "MOTCUA_MESSENGER_RETRY_SECONDS", 0.5, 0.01, 60.0),
            zalo_app_id=opt("MOTCUA_ZALO_APP_ID"),
            zalo_oa_secret=opt("MOTCUA_ZALO_OA_SECRET"),
            zalo_app_secret=opt("MOTCUA_ZALO_APP_SECRET"),
            zalo_access_token=opt("MOTCUA_ZALO_ACCESS_TOKEN"),
            zalo_refresh_token=opt("MOTCUA_ZALO_REFRESH_TOKEN"),
            zalo_api_url=e.get("MOTCUA_ZALO_API_URL", "https://openapi.zalo.me"),
            zalo_oauth_url=e.get("MOTCUA_ZALO_OAUTH_URL", "https://oauth.zaloapp.com"),
            zalo_retry_seconds=_bounded(e, "MOTCUA_ZALO_RETRY_SECONDS", 1.0, 0.01, 60.0),
            portal_url=opt("MOTCUA_PORTAL_URL"),
            portal_api_key=opt("MOTCUA_PORTAL_API_KEY"),
            portal_webhook_secret=opt("MOTCUA_PORTAL_WEBHOOK_SECRET"),
            portal_sandbox_port=int(e.get("MOTCUA_PORTAL_SANDBOX_PORT", "8090")),
        )


Number = TypeVar("Number", int, float)


def _rate(env: Mapping[str, str], name: str, default: str) -> str:
    """A rate limit such as ``60/minute`` (checked now, so a typo stops start-up)."""
    value = env.get(name, "").strip() or default
    parse_limit(name, value)
    return value


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    """One of ``choices`` (the first when unset); anything else stops start-up."""
    value = env.get(name, "").strip().lower() or choices[0]
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)} (got {value!r})")
    return value


def _networks(name: str, value: str) -> tuple[IPv4Network | IPv6Network, ...]:
    """Comma-separated addresses or networks (``10.0.0.0/8``, ``::1``)."""
    try:
        return tuple(
            ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip()
        )
    except ValueError:
        raise ValueError(
            f"{name} must list addresses or networks separated by commas (got {value!r})"
        ) from None


def _bounded(
    env: Mapping[str, str], name: str, default: Number, low: Number, high: Number
) -> Number:
    """``env[name]`` as the type of ``default``, from ``low`` to ``high``; the default if unset.

    A value out of range or not a number stops start-up with a message naming the variable,
    rather than a pool of zero connections failing every request later.
    """
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = type(default)(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise ValueError(f"{name} must be a number from {low} to {high} (got {raw!r})")
    return value


MAX_RETENTION_DAYS = 36500
"""A century: beyond it the retention period is no period (and dates would overflow)."""


def _seconds(name: str, value: str) -> float:
    """A positive duration in seconds, at most an hour."""
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 3600:
        raise ValueError(
            f"{name} must be a number of seconds above 0, at most 3600 (got {value!r})"
        )
    return seconds
