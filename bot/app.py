"""The composition root: every engine, client and channel built from settings, as lifecycles.

``build_app(settings, **overrides)`` is the one place that knows which implementation fills
which port. Everything it opens is entered on one ``AsyncExitStack`` and closed in reverse
order; tests pass fakes through the keyword overrides instead of patching.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import web

from bot import i18n
from bot.announcements.pictures import Pictures
from bot.announcements.sender import AnnouncementSender, in_flight_for
from bot.config import Settings
from bot.console.context import Console
from bot.dispatcher import Dialog, Dispatcher, TurnHook
from bot.dossiers import DossierSender, StatusAnnouncer
from bot.history import LoggedOnlyChannel, LogHistory
from bot.inbox import UNITS_BESIDE_TURNS, DurableInbox
from bot.insights.lessons import LessonBook
from bot.knowledge_updates.service import KnowledgeUpdates
from bot.metrics import Metrics
from bot.papers import Papers
from bot.personal_data import Retention
from bot.portal import (
    EVENTS_CHANNEL,
    WEBHOOK_PATH,
    PortalEvents,
    PortalLink,
    PortalWebhook,
    connect_portal,
)
from bot.printable.pages import PrintablePages
from bot.ratelimits import LimitsRateLimiter
from bot.reminders import ReminderWorker
from bot.storage.database import Database, PoolSize
from bot.storage.platform_state import (
    SqlButtonPayloads,
    SqlUnreachableUsers,
    writers_reachable,
)
from bot.storage.secrets import SqlSecretStore, server_key
from bot.supervision import supervised
from dialogs.messages import IncomingMessage, Reply
from dialogs.ports import Channel, Clock, KnowledgeBase, Limit, SendPace, Translator
from dialogs.step import DialogDeps
from integrations import messenger, zalo
from integrations.messenger import MessengerAdapter
from integrations.messenger import format as messenger_format
from integrations.render import Capabilities
from integrations.webchat import Identities, WebChat
from integrations.zalo import ZaloChannel
from knowledge.base import LocalKnowledgeBase

if TYPE_CHECKING:  # redis-py is imported only by a process configured with Redis
    from limits.aio.storage import Storage
    from redis.asyncio import Redis

    from bot.backends import RedisHealth
    from bot.redis_locks import FallbackLocks
    from bot.redis_pool import Trips

logger = logging.getLogger(__name__)

TERMINAL = "terminal"
"""The channel of ``motcua chat``."""

STOP_GRACE = 10.0
"""Seconds a background loop has at shutdown to end its round (the announcement sender: to
finish the sends in hand and settle them) before it is cancelled."""


class SystemClock:
    """The real time, in UTC."""

    def now(self) -> datetime:
        """An aware datetime."""
        return datetime.now(UTC)


@dataclass
class App:
    """What ``build_app`` assembled: the dispatcher, the inbox, the channels and their routes."""

    settings: Settings
    database: Database
    dispatcher: Dispatcher
    inbox: DurableInbox
    channels: dict[str, Channel]
    routes: list[web.AbstractRouteDef]
    reminders: ReminderWorker
    portal: PortalLink
    dossiers: DossierSender
    statuses: StatusAnnouncer
    lessons: LessonBook
    metrics: Metrics
    clock: Clock
    console: Console
    papers: Papers
    announcements: AnnouncementSender
    redis: RedisHealth | None = None
    """Whether Redis answers (None without Redis)."""
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def run_in_background(
        self, name: str, loop: Callable[[asyncio.Event], Awaitable[None]]
    ) -> asyncio.Task[None]:
        """Run a long-lived loop (the reminder worker) until the app shuts down.

        The loop is given ``stopping`` and returns between two rounds once it is set. It is
        supervised (``bot.supervision``): should it die, that is logged and it is started
        again. The task is kept in ``tasks`` (a bare task could be garbage-collected mid-run)
        and is awaited when ``build_app``'s block ends.
        """

        async def until_stopped() -> None:
            await loop(self.stopping)

        task = asyncio.create_task(supervised(name, until_stopped, self.stopping), name=name)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def start_background(self) -> None:
        """Start the loops a serving app runs: reminders and notices, filing, status polling,
        and reading the lessons staff taught and the knowledge base put in force through other
        workers."""
        self.run_in_background("reminders", self.reminders.run)
        self.run_in_background("dossiers", self.dossiers.run)
        self.run_in_background("statuses", self.statuses.run)
        self.run_in_background("lessons", self.lessons.run)
        self.run_in_background("knowledge", self.console.knowledge_updates.run)
        self.run_in_background("announcements", self.announcements.run)

    def start_session_loops(self, channel: str) -> None:
        """Start what a session of one channel without a server needs (``motcua chat``): its
        filings sent to the portal and their statuses polled, and its own notices delivered
        (the receipt, each move). Other channels' notices are left to the deployment's
        workers: this process has no platform to send them with."""
        self.run_in_background("dossiers", self.dossiers.run)
        self.run_in_background("statuses", self.statuses.run)
        self.run_in_background(
            "notices", lambda until: self.reminders.run_rounds(until, only=(channel,))
        )

    async def health(self) -> dict[str, str]:
        """Raise unless the app can serve (the database must answer); else how each backend
        is doing. A worker without Redis still serves, with in-process locks and limits."""
        await self.database.ping()
        found = {"database": "ok"}
        if self.redis is not None:
            await self.redis.check()
            found["redis"] = "degraded" if self.redis.degraded else "ok"
        return found

    async def metrics_text(self) -> bytes:
        """What ``/metrics`` shows, queue depths (and whether Redis is back) read now."""
        if self.redis is not None:
            await self.redis.check()
        return await self.metrics.exposition(self.database, self.clock.now())

    async def stop_background(self) -> None:
        """Tell the background loops to stop, and wait until they have.

        A loop ends its round first: cancelling one inside a unit of work can hang on SQLite
        (``bot.supervision``). Only a loop still busy after ``STOP_GRACE`` (a platform or
        portal call that hangs) is cancelled.
        """
        self.stopping.set()
        if not self.tasks:
            return
        _done, late = await asyncio.wait(set(self.tasks), timeout=STOP_GRACE)
        for task in late:
            logger.warning("%s loop still busy at shutdown: cancelled", task.get_name())
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)


@asynccontextmanager
async def build_app(
    settings: Settings,
    *,
    knowledge: KnowledgeBase | None = None,
    translator: Callable[[str], Translator] = i18n.translator,
    clock: Clock | None = None,
    dialog: Dialog | None = None,
    platforms: bool = True,
    receive: bool = True,
) -> AsyncIterator[App]:
    """Build the whole application for ``settings``; keyword arguments replace real parts.

    Args:
        settings: the configuration.
        knowledge: the procedure knowledge base (the shipped one, or
            ``settings.knowledge_path``, by default).
        translator: locale -> user-facing strings (the Babel catalogs by default).
        clock: the time source (the system clock by default).
        dialog: the conversations (``dialogs.engine.handle`` by default).
        platforms: connect the messaging platforms that ``settings`` configure and work
            through the inbox (the terminal chat does neither, so it never competes with the
            server for their updates).
        receive: take the platforms' updates (webhooks, Telegram polling); False for
            ``motcua worker``, which only works through the inbox and outbox and sends.
    """
    clock = clock or SystemClock()
    if knowledge is None:
        # Reading and indexing the file takes a moment; keep the event loop free meanwhile.
        knowledge = await asyncio.to_thread(
            LocalKnowledgeBase.load, settings.knowledge_path, settings.cache_dir
        )
    async with AsyncExitStack() as stack:
        metrics = Metrics()
        # The turns take ``db_pool_size`` connections; the inbox's own units of work beside them
        # are kept open too, out of the overflow, so neither waits for a connection to be made.
        beside = min(UNITS_BESIDE_TURNS, settings.db_max_overflow)
        pool = PoolSize(
            settings.db_pool_size + beside,
            settings.db_max_overflow - beside,
            settings.db_pool_timeout,
        )
        database = await stack.enter_async_context(
            Database(settings.database_url, pool, lambda: metrics.backend_failed("database"))
        )
        updates = KnowledgeUpdates(database, knowledge, clock, settings.knowledge_sources)
        await updates.follow()  # portal data put in force from the console, from the first answer
        stack.push_async_callback(updates.join, STOP_GRACE)
        portal = await stack.enter_async_context(connect_portal(settings, knowledge, clock))
        redis: Redis | None = None
        redis_health: RedisHealth | None = None
        trips: Trips | None = None
        locks: FallbackLocks | None = None
        shared_counts: Storage | None = None
        if settings.redis_url:
            # Imported only here: a single process without Redis never loads redis-py.
            from bot.backends import RedisHealth
            from bot.redis_limits import redis_storage
            from bot.redis_locks import FallbackLocks, RedisLocks
            from bot.redis_pool import Trips, shared_redis

            redis = shared_redis(
                settings.redis_url,
                max_connections=settings.redis_max_connections,
                timeout=settings.redis_pool_timeout,
            )
            stack.push_async_callback(redis.aclose)
            redis_health = RedisHealth(redis, metrics, retry=settings.redis_retry_seconds)
            trips = Trips(redis)  # the locks' releases ride with the Telegram pace's places
            locks = FallbackLocks(RedisLocks(redis, trips=trips), redis_health)
            shared_counts = redis_storage(redis, settings.redis_url, "motcua:limits", redis_health)
        deps = DialogDeps(
            knowledge=knowledge,
            clock=clock,
            translator=translator,
            default_locale=settings.default_locale,
            public_url=settings.public_url or "",
            messaging_windows={
                MessengerAdapter.name: messenger.WINDOW,
                ZaloChannel.name: zalo.WINDOW,
            },
        )

        # The reminder worker delivers the dossiers' notices too; it is built last, as it needs
        # the channels, so the dossier side reaches it through this late-bound wake-up.
        def wake_outbox() -> None:
            reminders.wake()

        callback = (settings.public_url or f"http://{settings.host}:{settings.port}").rstrip("/")
        sender = DossierSender(
            database, portal.client, clock, wake_outbox, callback_url=callback + WEBHOOK_PATH
        )
        statuses = StatusAnnouncer(database, portal.client, clock, wake_outbox)

        def refused(limit: Limit) -> None:
            metrics.waited(limit.value)

        limiter = (
            LimitsRateLimiter(settings.rate_limits, shared_counts, refused)
            if shared_counts is not None
            else LimitsRateLimiter.in_memory(settings.rate_limits, refused)
        )
        dispatcher = Dispatcher(
            database,
            deps,
            on_dossier=sender.queued.set,
            wake_outbox=wake_outbox,
            limiter=limiter,
            portal=portal.client,
            locks=locks,
            dialog=dialog,
            concurrent_turns=settings.db_pool_size,
        )
        events = PortalEvents(database, statuses.apply_all, wake_outbox)

        # Filled below, once the channels (which fetch the files citizens send) are built.
        channels: dict[str, Channel] = {}
        papers = Papers(database, clock, channels)

        async def turn(message: IncomingMessage, hook: TurnHook) -> Sequence[Reply]:
            """A citizen's turn, its file (if it sent one) fetched and checked first, outside
            the conversation's lock (portal events are applied by ``events``, as they are
            received or in batches)."""
            return await dispatcher.handle(await papers.settle(message), hook)

        inbox = DurableInbox(
            database,
            turn,
            clock,
            lease=timedelta(seconds=settings.inbox_lease_seconds),
            poll_interval=settings.inbox_poll_seconds,
            metrics=metrics,
            batches={EVENTS_CHANNEL: events.apply_all},
            on_receipt={EVENTS_CHANNEL: events.on_receipt},
        )

        async def key() -> bytes:
            async with database.transaction() as session:
                return await server_key(session, clock.now())

        secure = (settings.public_url or "").startswith("https://")
        identities = Identities(key, secure=secure)
        webchat = WebChat(
            inbox,
            LogHistory(database, WebChat.name),
            translator,
            identities,
            limiter,
            settings.trusted_proxies,
            papers=papers,
        )
        terminal = LoggedOnlyChannel(TERMINAL)
        channels.update({webchat.name: webchat, terminal.name: terminal})
        routes = list(webchat.routes())
        routes += PrintablePages(knowledge, translator, clock).routes()
        routes += PortalWebhook(inbox, clock, portal.webhook_secret).routes()
        routes += Pictures(database, clock).routes()
        adapters = (
            platform_channels(
                settings,
                inbox,
                database,
                clock,
                metrics,
                receive=receive,
                redis=redis,
                redis_health=redis_health,
                trips=trips,
            )
            if platforms
            else []
        )
        for platform in adapters:
            routes += platform.routes()  # before start: Telegram's webhook needs its route
            channels[platform.name] = await stack.enter_async_context(platform)
        if platforms:
            # Left before the channels close: the replies in hand are still sent.
            await stack.enter_async_context(inbox)

        lessons = LessonBook(database, knowledge)
        await lessons.load()
        reminders = ReminderWorker(
            database,
            dispatcher,
            channels,
            clock,
            retention=Retention.of(settings),
            metrics=metrics,
        )
        announcements = AnnouncementSender(
            database,
            channels,
            clock,
            translator,
            default_locale=settings.default_locale,
            public_url=callback,
            lease=timedelta(seconds=settings.announcement_lease_seconds),
            poll_interval=settings.announcement_poll_seconds,
            in_flight=in_flight_for(settings.telegram_global_rate),
            metrics=metrics,
        )
        console = Console(
            database=database,
            clock=clock,
            translator=translator,
            knowledge=knowledge,
            knowledge_updates=updates,
            limiter=limiter,
            wake_outbox=wake_outbox,
            secure_cookies=secure,
            session_ttl=timedelta(hours=settings.console_session_hours),
            message_limits=message_limits,
            wake_announcements=announcements.wake,
            trusted_proxies=settings.trusted_proxies,
        )
        app = App(
            settings,
            database,
            dispatcher,
            inbox,
            channels,
            routes,
            reminders,
            portal,
            sender,
            statuses,
            lessons,
            metrics,
            clock,
            console,
            papers,
            announcements,
            redis_health,
        )
        stack.push_async_callback(app.stop_background)
        yield app


class PlatformChannel(Channel, Protocol):
    """A messaging platform's adapter: a channel with webhook routes and a lifecycle."""

    def routes(self) -> list[web.RouteDef]:
        """The aiohttp routes it receives on (may be empty, e.g. Telegram polling)."""
        ...

    async def __aenter__(self) -> Any:
        """Connect (open HTTP sessions, register webhooks, start polling)."""
        ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Finish queued work and disconnect."""
        ...


def platform_channels(
    settings: Settings,
    inbox: DurableInbox,
    database: Database,
    clock: Clock,
    metrics: Metrics,
    *,
    receive: bool = True,
    redis: Redis | None = None,
    redis_health: RedisHealth | None = None,
    trips: Trips | None = None,
) -> list[PlatformChannel]:
    """An adapter for every platform whose credentials ``settings`` hold.

    With ``receive`` False the adapters only send: Telegram neither registers its webhook nor
    polls (the serving workers do), and no webhook route is served anyway.

    What an adapter must share with the other workers (secrets, who blocked the bot, long
    button payloads) it keeps in ``database``, never in this process alone; with ``redis``,
    Telegram's bot-wide rate is one allowance for every worker (this process's own while
    ``redis_health`` says Redis is away), asked for through ``trips`` when given.
    """
    secrets = SqlSecretStore(database, clock.now)
    found: list[PlatformChannel] = []
    if settings.telegram_token:
        # Imported only when Telegram is used (and python-telegram-bot only to poll).
        from integrations.telegram import ChatPace, TelegramChannel

        # Whoever writes can be written to again: forgotten as their message is kept.
        inbox.keep_with(TelegramChannel.name, writers_reachable)
        found.append(
            TelegramChannel(
                settings.telegram_token,
                inbox,
                api_url=settings.telegram_api_url,
                public_url=settings.public_url,
                webhook_secret=settings.telegram_webhook_secret,
                secrets=secrets,
                payloads=SqlButtonPayloads(database, clock.now),
                unreachable=SqlUnreachableUsers(database, TelegramChannel.name, clock.now),
                writers_reachable_on_keep=True,
                chat_pace=ChatPace(burst=3, per_second=settings.telegram_chat_rate),
                pace=telegram_pace(settings, redis, redis_health, trips),
                receive=receive,
                on_paced=lambda: metrics.waited("telegram_chat"),
                on_flood=lambda: metrics.waited("telegram_flood"),
            )
        )
    if (
        settings.messenger_page_token
        and settings.messenger_app_secret
        and settings.messenger_verify_token
    ):
        found.append(
            MessengerAdapter(
                inbox,
                page_token=settings.messenger_page_token,
                app_secret=settings.messenger_app_secret,
                verify_token=settings.messenger_verify_token,
                api_url=settings.messenger_api_url,
                store=secrets,
                clock=clock,
                retry_delay=settings.messenger_retry_seconds,
            )
        )
    if (
        settings.zalo_app_id
        and settings.zalo_oa_secret
        and settings.zalo_app_secret
        and settings.zalo_access_token
        and settings.zalo_refresh_token
    ):
        found.append(
            ZaloChannel(
                app_id=settings.zalo_app_id,
                oa_secret=settings.zalo_oa_secret,
                app_secret=settings.zalo_app_secret,
                access_token=settings.zalo_access_token,
                refresh_token=settings.zalo_refresh_token,
                inbox=inbox,
                secrets=secrets,
                api_url=settings.zalo_api_url,
                oauth_url=settings.zalo_oauth_url,
                clock=clock,
                retry_backoff=settings.zalo_retry_seconds,
            )
        )
    return found


def message_limits() -> dict[str, Capabilities | None]:
    """Each app's message limits, as its adapter sends (the web chat shows any length)."""
    # The Telegram adapter is loaded by the first preview, not by every start (see above).
    from integrations.telegram import CAPABILITIES as TELEGRAM

    return {
        "telegram": TELEGRAM,
        "zalo": zalo.CAPABILITIES,
        "messenger": messenger_format.QUICK_REPLY_CAPS,
        "web": None,
    }


def telegram_pace(
    settings: Settings,
    redis: Redis | None,
    health: RedisHealth | None,
    trips: Trips | None = None,
) -> SendPace:
    """Telegram's bot-wide rate (``MOTCUA_TELEGRAM_GLOBAL_RATE``): shared in Redis when there
    is one (its places asked for through ``trips``, with the locks' releases), else kept by
    this process."""
    from integrations.telegram import BotPace  # only with Telegram configured, like the channel

    rate = settings.telegram_global_rate
    if redis is None or health is None or not settings.redis_url:
        return BotPace(rate)
    from bot.redis_limits import redis_storage  # only with Redis configured

    storage = redis_storage(redis, settings.redis_url, "motcua:pace", health, trips)
    return BotPace(rate, storage, "telegram")
