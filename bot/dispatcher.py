"""The path of one message: lock the conversation, run the dialog, save, log.

Everything a turn writes (the new state, scheduled reminders, held reminders handed over, link
codes, the message log, and the caller's hook: the inbox marks its row answered there) is
committed in one transaction, so a failure leaves no half-written conversation and the message
is processed again as if the first attempt never happened.

A (channel, user id) linked to a person shares the person's conversation with the person's
other apps: the turn locks the person, not the app. Link codes asked for by the dialogs are
made or checked here, and the outcome goes back through the dialogs in the same turn as an
internal message, so the wording stays with the dialogs.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from cachetools import LRUCache
from sqlalchemy.ext.asyncio import AsyncSession

from bot import consents, handoffs, logs, lookups, news, personal_data, volunteers
from bot.batches import together_or_alone
from bot.insights import store as insights
from bot.locks import ConversationLocks, LocalLocks
from bot.ratelimits import LimitsRateLimiter
from bot.storage.conversations import SqlConversations, StoredConversation
from bot.storage.database import Database
from bot.storage.dossiers import SqlDossiers
from bot.storage.identity import CODE_TTL, RedeemOutcome, SqlIdentities
from bot.storage.json_text import JsonText
from bot.storage.message_log import SqlMessageLog
from bot.storage.papers import SqlPapers
from bot.storage.reminders import SqlReminders
from bot.storage.subscriptions import SqlSubscriptions
from bot.storage.tables import CHANNEL_LEN, USER_ID_LEN
from dialogs import engine
from dialogs import state as states
from dialogs.errors import StaleConversation
from dialogs.messages import ConversationRef, IncomingMessage, Reply
from dialogs.ports import Limit, PortalClient, RateLimiter
from dialogs.step import (
    AnswerConsent,
    ChooseCommune,
    DeleteMyData,
    DialogDeps,
    EndStaff,
    IssueConsentCode,
    IssueLinkCode,
    JoinGroup,
    ListDossiers,
    LookUpDossier,
    NoteMilestone,
    NoteQuestion,
    RateHelp,
    RedeemConsentCode,
    RedeemLinkCode,
    RequestStaff,
    ScheduleReminder,
    ShowCommune,
    State,
    Step,
    SubmitDossier,
    SupplyPapers,
)

logger = logging.getLogger(__name__)

Dialog = Callable[[State, IncomingMessage, DialogDeps], Step]
"""The conversations' contract: ``dialogs.engine.handle``."""

TurnHook = Callable[[AsyncSession, Sequence[Reply]], Awaitable[None]]
"""Extra writes committed with a turn, given its replies (the reminder outbox keeps them, the
inbox marks its row answered)."""

BatchHook = Callable[
    [AsyncSession, Sequence[tuple[IncomingMessage, Sequence[Reply]]]], Awaitable[None]
]
"""Extra writes committed with several turns, given each one's replies, for one statement
for them all (the reminder outbox keeps the replies of a burst of notices)."""

# Said when the dialog itself fails; kept here so it works even when the catalogs do not.
APOLOGY = {
    "vi": "Xin lỗi, hệ thống đang gặp sự cố. Xin vui lòng thử lại sau ít phút, "
    "hoặc gõ “menu” để bắt đầu lại.",
    "en": "Sorry, something went wrong on our side. Please try again in a few minutes, "
    "or type “menu” to start again.",
}


MAX_ATTEMPTS = 3
"""Runs of a turn that lost a race for its conversation (another app of the same person wrote
it, or the app was linked meanwhile); the dialogs are pure, so running a turn again is safe."""

MAX_KNOWN_PERSONS = 10_000
"""Linked apps whose person a dispatcher remembers, to lock the person before reading it."""

HIDDEN_CODE = "••• •••"
"""What the message log keeps instead of a link code, shown or typed."""


def conversation_hash(ref: ConversationRef) -> str:
    """A short stable hash of a conversation, the only way logs name a user."""
    return hashlib.sha256(ref.key.encode()).hexdigest()[:12]


def _lock_key(key: str, person: int | None) -> str:
    """The lock of a conversation: its person's, when the app is (thought to be) linked."""
    return key if person is None else f"person:{person}"


def _check_sizes(message: IncomingMessage) -> None:
    # Longer values would be refused by PostgreSQL but silently kept by SQLite.
    if len(message.ref.channel) > CHANNEL_LEN or len(message.ref.user_id) > USER_ID_LEN:
        raise ValueError("conversation reference too long")
    if message.message_id is not None and len(message.message_id) > USER_ID_LEN:
        raise ValueError("message id too long")


class Dispatcher:
    """Turns incoming messages into replies; ``handle`` fits the ``MessageHandler`` port."""

    def __init__(
        self,
        database: Database,
        deps: DialogDeps,
        *,
        locks: ConversationLocks | None = None,
        dialog: Dialog | None = None,
        concurrent_turns: int = 30,
        on_dossier: Callable[[], None] | None = None,
        wake_outbox: Callable[[], None] | None = None,
        limiter: RateLimiter | None = None,
        portal: PortalClient | None = None,
    ) -> None:
        """Wire a dispatcher.

        Args:
            database: where conversations, reminders and the log live.
            deps: the ports the dialogs consult (the clock also stamps every row).
            locks: per-conversation locks; in-process ones by default, Redis for several workers.
            dialog: the conversation function; ``dialogs.engine.handle`` by default.
            concurrent_turns: turns run at once; later ones wait their turn, first come first
                served. A turn needs a database connection, so this is the connections the
                pool keeps: a burst of users then queues here, holding nothing, instead of
                holding conversation locks while waiting (and timing out) for a connection,
                and a steady load of turns never opens and closes PostgreSQL connections
                (the pool closes each one above its size as soon as it is handed back); the
                overflow is left to the inbox's and the web's short units of work.
            portal: where dossiers are looked up for the dialogs.
            on_dossier: called after a turn that queued a dossier has committed, so the
                sender files it at once.
            wake_outbox: called after a turn that queued a notice for another chat (a
                relative's answer to a volunteer), so it is delivered at once.
            limiter: the rate limits on link codes typed from one address (the default
                limits, counted in this process, by default).
        """
        self._database = database
        self._deps = deps
        self._locks = locks if locks is not None else LocalLocks()  # empty ones are falsy
        self._dialog: Dialog = dialog or engine.handle
        self._limiter = limiter or LimitsRateLimiter.in_memory()
        # Which person a linked app belongs to, as last seen: only a guess for choosing the
        # lock, checked under it (another worker may have linked the app since).
        self._persons: LRUCache[str, int] = LRUCache(maxsize=MAX_KNOWN_PERSONS)
        self._admission = asyncio.Semaphore(concurrent_turns)
        self._on_dossier = on_dossier
        self._portal = portal
        # A hint only: set by any turn that queued a dossier, cleared by whoever wakes the sender.
        self._dossier_queued = False
        self._wake_outbox = wake_outbox
        self._notice_queued = False  # the same kind of hint, for the outbox

    async def handle(self, message: IncomingMessage, hook: TurnHook | None = None) -> list[Reply]:
        """Handle what a user sent; ``hook`` runs inside the turn's transaction with the replies.

        Reminders held while the channel's window was closed come first in the replies.
        Deduplication is the inbox's (``bot.inbox``): each call is a turn.
        """
        async with self._admission:
            return await self._turn(message, from_citizen=True, hook=hook)

    async def handle_proactive(self, message: IncomingMessage, hook: TurnHook) -> list[Reply]:
        """Handle an event motcua raised itself (a due reminder).

        The event is not logged as something the user said, and does not open the channel's
        window for held reminders; ``hook`` runs inside the turn's transaction with the replies.
        """
        async with self._admission:
            return await self._turn(message, from_citizen=False, hook=hook)

    async def handle_proactive_all(
        self, messages: Sequence[IncomingMessage], keep: BatchHook
    ) -> list[list[Reply] | Exception]:
        """Handle several events motcua raised itself (a burst of due notices) together.

        They run in one transaction, every conversation they touch locked meanwhile: a burst
        of status changes then costs one commit, not one per citizen (on SQLite each commit
        waits for the one writer), and their reads and writes one statement each where they
        can (``_run_all``). Should that fail (one turn the database refuses, a claim lost, a
        conversation linked to a person since it was looked up), nothing of it is kept and
        each is handled alone, as :meth:`handle_proactive`. Per event, its replies or what it
        failed with, in order.
        """

        async def together(batch: Sequence[IncomingMessage]) -> list[list[Reply]]:
            async with self._admission:
                return await self._attempt_all(batch, keep)

        async def alone(message: IncomingMessage) -> list[Reply]:
            async def hook(session: AsyncSession, replies: Sequence[Reply]) -> None:
                await keep(session, [(message, replies)])

            return await self.handle_proactive(message, hook)

        return await together_or_alone(messages, together, alone, "proactive turns handled")

    async def _attempt_all(
        self, messages: Sequence[IncomingMessage], keep: BatchHook
    ) -> list[list[Reply]]:
        """One run of several proactive turns in one transaction, holding all their locks
        (taken in one order, so two batches never wait for each other)."""
        logs.ensure_request_id()
        for message in messages:
            logs.conceal(message.text, message.ref.user_id)
            _check_sizes(message)
        guesses = {message.ref.key: self._persons.get(message.ref.key) for message in messages}
        keys = sorted({_lock_key(key, guess) for key, guess in guesses.items()})
        async with AsyncExitStack() as held:
            for key in keys:
                await held.enter_async_context(self._locks.hold(key))
            async with self._database.transaction() as session:
                # The statement that opens the apps' conversations also reads the person each
                # is linked to, checked against the one locked.
                opened = await SqlConversations(session).open_all(
                    [(m.ref, m.locale) for m in messages], self._deps.clock.now()
                )
                for message in messages:
                    person = opened[message.ref.key].linked_person
                    if person != guesses[message.ref.key]:
                        self._remember(message.ref, person)
                        raise StaleConversation("the app's person is not the one locked")
                results = await self._run_all(session, messages, opened)
                await keep(session, list(zip(messages, results, strict=True)))
        self._wake_after_turn()
        return results

    async def _run_all(
        self,
        session: AsyncSession,
        messages: Sequence[IncomingMessage],
        opened: Mapping[str, StoredConversation],
    ) -> list[list[Reply]]:
        """Several proactive turns, in one transaction, their apps' conversations ``opened``.

        Notices to distinct apps not linked to a person (internal messages, which never lead
        to a follow-up turn) run together: their conversations saved and logged with one
        statement each for them all (``_Deferred``). The others (a linked app's, a second
        one to the same app, a reminder the citizen asked for) run after them one by one, as a
        single turn does.
        """
        counts = Counter(message.ref.key for message in messages)
        together = [
            m.internal and counts[m.ref.key] == 1 and opened[m.ref.key].linked_person is None
            for m in messages
        ]
        now = self._deps.clock.now()
        deferred = _Deferred(dict(opened))
        results: list[list[Reply]] = []
        for message, batched in zip(messages, together, strict=True):
            if batched:
                results.append(
                    await self._run(
                        session, message, None, from_citizen=False, hook=None, deferred=deferred
                    )
                )
            else:
                results.append([])
        await deferred.flush(session, now)
        for at, (message, batched) in enumerate(zip(messages, together, strict=True)):
            if not batched:
                results[at] = await self._run(session, message, None, from_citizen=False, hook=None)
        return results

    async def _turn(
        self, message: IncomingMessage, *, from_citizen: bool, hook: TurnHook | None
    ) -> list[Reply]:
        # Whatever fails from here on is logged under one id, without quoting the citizen.
        logs.ensure_request_id()
        logs.conceal(message.text, message.ref.user_id)
        _check_sizes(message)
        attempt = 1
        while True:
            try:
                replies = await self._attempt(message, from_citizen=from_citizen, hook=hook)
                self._wake_after_turn()
                return replies
            except StaleConversation:
                if attempt == MAX_ATTEMPTS:
                    raise
                attempt += 1

    def _wake_after_turn(self) -> None:
        """Once a turn has committed: wake the sender and the outbox if it queued their work."""
        if self._dossier_queued and self._on_dossier is not None:
            self._dossier_queued = False
            self._on_dossier()
        if self._notice_queued and self._wake_outbox is not None:
            self._notice_queued = False
            self._wake_outbox()

    async def _attempt(
        self, message: IncomingMessage, *, from_citizen: bool, hook: TurnHook | None
    ) -> list[Reply]:
        """One run of a turn, holding the lock of the person (or of the app, when unlinked).

        The app's conversation is opened first: the statement that does so also reads the
        person the app is linked to, checked against the one locked.
        """
        ref = message.ref
        guess = self._persons.get(ref.key)
        async with (
            self._locks.hold(_lock_key(ref.key, guess)),
            self._database.transaction() as session,
        ):
            own = await SqlConversations(session).open(ref, self._deps.clock.now(), message.locale)
            if own.linked_person != guess:
                self._remember(ref, own.linked_person)
                raise StaleConversation("the app's person is not the one locked")
            return await self._run(session, message, own, from_citizen=from_citizen, hook=hook)

    def _remember(self, ref: ConversationRef, person: int | None) -> None:
        self._persons.pop(ref.key, None)
        if person is not None:
            self._persons[ref.key] = person

    async def _run(
        self,
        session: AsyncSession,
        message: IncomingMessage,
        own: StoredConversation | None,
        *,
        from_citizen: bool,
        hook: TurnHook | None,
        deferred: _Deferred | None = None,
    ) -> list[Reply]:
        """One turn in ``session``; ``own`` is the app's conversation when already opened."""
        ref, now = message.ref, self._deps.clock.now()
        held, replies, codes, forgotten = await self._converse(
            session, message, own, now, deferred, from_citizen=from_citizen
        )
        if forgotten:  # the citizen's data was erased: this turn is not kept either
            self._remember(ref, None)
            return held + replies
        said = None
        if from_citizen:
            text = None if message.text is None else _hide(message.text, codes)
            if text is None and message.attachment is not None:  # shown again as "📎 name"
                text = f"📎 {message.attachment.name or message.attachment.kind}"
            said = message if text == message.text else replace(message, text=text)
        # Copied only to hide a link code: nearly every turn logs its replies as they are.
        logged = [replace(r, text=_hide(r.text, codes)) for r in replies] if codes else replies
        if deferred is not None:
            deferred.logged.append((ref, said, logged))
        else:
            await SqlMessageLog(session).record_turn(ref, said, logged, now)
        if hook is not None:
            await hook(session, held + replies)
        return held + replies

    async def _converse(
        self,
        session: AsyncSession,
        message: IncomingMessage,
        own: StoredConversation | None,
        now: datetime,
        deferred: _Deferred | None = None,
        *,
        from_citizen: bool,
    ) -> tuple[list[Reply], list[Reply], list[str], bool]:
        """Run the dialog and carry out its effects.

        The message's app's own conversation is ``own`` when the caller opened it already;
        with it come the person the app is linked to, the citizen's commune and standing.
        With ``deferred`` (an internal message to an app not linked to a person, never followed
        by another turn) the conversation comes from its batch, and is saved with it.

        Returns the held reminders' replies (to go first), the replies, the link codes to hide,
        and whether the citizen's data was erased.

        A link-code request is answered by a second, internal turn. When that turn finds the
        app newly linked to a person, what the app had on its own is merged into the person's
        conversation first, so nothing started on either side is lost.
        """
        conversations = SqlConversations(session)
        held: list[Reply] = []
        replies: list[Reply] = []
        codes: list[str] = []
        forgotten = False
        pending: IncomingMessage | None = message
        joining: tuple[int | None, dict[str, Any]] | None = None  # (person before, app state)
        while pending is not None:
            current, pending = pending, None
            if deferred is not None:
                stored = deferred.opened[current.ref.key]
            else:
                # After a link code, opened again: the app may belong to a person now.
                if own is None or current is not message:
                    own = await conversations.open(current.ref, now, current.locale)
                person = own.linked_person
                stored = (
                    own if person is None else await conversations.open_shared(own, person, now)
                )
            if current is message and from_citizen and stored.held_reminders:
                # The citizen wrote, so the channel's window is open again: reminders held
                # while it was closed go first, taken in this transaction so they are sent
                # once with this answer. They were logged when rendered.
                held = await SqlReminders(session).take_held(message.ref, now)
            state = stored.state
            if joining is not None and joining[0] != stored.person_id:
                state = states.merge(stored.state, joining[1])
            # Read with the conversation: the desk shown with answers, the commune a dossier is
            # filed in and that of each question noted; only choosing a commune or erasing the
            # citizen's data changes it.
            commune = handoffs.commune_code(stored.commune)
            desk = await handoffs.local_desk(session, commune)
            deps = replace(
                self._deps, local_desk=desk or self._deps.local_desk, membership=stored.membership
            )
            stepped = self._step(stored, state, current, deps)
            if stepped is None:
                replies.append(Reply(self._apology_text(stored, message)))
                break
            step, serialised = stepped
            replies.extend(step.replies)
            if deferred is not None:
                deferred.saves.append((stored, step.state))
            else:
                await conversations.save_stored(stored, serialised, now)
            for effect in step.effects:
                if isinstance(effect, RedeemConsentCode) and await SqlIdentities(
                    session
                ).holds_code(effect.code, now):
                    # A link code typed straight in, without "Enter a code" first: one typed code
                    # is still one guess, whichever kind it turns out to be.
                    effect = RedeemLinkCode(effect.code)
                if isinstance(effect, SubmitDossier):
                    locale = str(step.state.get("locale") or message.locale or "vi")
                    agreement = await consents.agreement(session, message.ref, effect)
                    if await SqlDossiers(session).queue(
                        message.ref, effect, locale, now, commune, agreement
                    ):
                        self._dossier_queued = True
                        await SqlPapers(session).assign(message.ref, effect.key, effect.papers, now)
                elif isinstance(effect, SupplyPapers):
                    await self._supply(session, current.ref, effect, now)
                elif isinstance(effect, IssueConsentCode | RedeemConsentCode | AnswerConsent):
                    if not current.internal:
                        pending, code = await consents.carry_out(
                            session, current, effect, now, self._limiter
                        )
                        if code is not None:
                            codes.append(code)
                        self._notice_queued |= isinstance(effect, AnswerConsent)
                elif isinstance(effect, LookUpDossier | ListDossiers):
                    if not current.internal and self._portal is not None:
                        pending = await lookups.answer(
                            session, self._portal, current, effect, now, self._limiter
                        )
                elif isinstance(effect, ScheduleReminder):
                    # Delivered on the app it was asked on; its buttons work on any linked app.
                    await SqlReminders(session).schedule(
                        message.ref, effect.due_at, effect.payload, now
                    )
                elif isinstance(effect, NoteQuestion | NoteMilestone | RateHelp):
                    await insights.record(session, effect, current.ref.channel, commune, now)
                elif isinstance(effect, ChooseCommune):
                    subscriptions = SqlSubscriptions(session)
                    if effect.code is None:
                        await subscriptions.end(current.ref)
                    else:
                        await subscriptions.choose(current.ref, effect.code, now)
                    commune = await handoffs.citizen_commune(session, current.ref)
                elif isinstance(effect, ShowCommune):
                    if not current.internal:
                        facts = await news.facts(session, current.ref, effect.page, now)
                        pending = current.follow_up("nw:mine", facts)
                elif isinstance(effect, RequestStaff):
                    if not current.internal:
                        pending = await handoffs.request(session, current, effect, now)
                elif isinstance(effect, JoinGroup):
                    await volunteers.ask(session, current.ref, effect, now)
                elif isinstance(effect, EndStaff):
                    await handoffs.end_by_citizen(session, current, now)
                elif isinstance(effect, DeleteMyData):
                    await personal_data.erase(session, current.ref)
                    commune = await handoffs.citizen_commune(session, current.ref)
                    forgotten = True
                elif not current.internal:  # an internal turn never asks again
                    pending, code = await _link(session, current, effect, now, self._limiter)
                    codes.append(code)
                    joining = (stored.person_id, step.state)
        return held, replies, codes, forgotten

    async def _supply(
        self, session: AsyncSession, ref: ConversationRef, effect: SupplyPapers, now: datetime
    ) -> None:
        """Papers the desk asked for go with the citizen's own dossier of that code, and the
        sender is woken to attach them."""
        dossier = await SqlDossiers(session).by_code(effect.code)
        if (
            dossier is None
            or dossier.ref not in (await personal_data.subject_of(session, ref)).refs
        ):
            logger.warning("papers sent for a dossier this citizen did not file were not kept")
            return
        if await SqlPapers(session).assign(ref, dossier.key, effect.papers, now):
            self._dossier_queued = True

    def _step(
        self,
        stored: StoredConversation,
        state: State,
        message: IncomingMessage,
        deps: DialogDeps,
    ) -> tuple[Step, JsonText] | None:
        """The dialog's step with its new state serialised, or None (logged, without personal
        data) when the dialog failed."""
        try:
            step = self._dialog(state, message, deps)
            # The state is stored as JSON: fail here, not at commit; the text is what is saved.
            serialised = JsonText(json.dumps(step.state))
        except Exception:
            # The traceback is redacted by bot.logs (the message's text was concealed).
            logger.exception(
                "dialog failed: channel=%s step=%s conversation=%s",
                stored.ref.channel,
                stored.state.get("step"),
                conversation_hash(stored.ref),
            )
            return None
        return step, serialised

    def _apology_text(self, stored: StoredConversation, message: IncomingMessage) -> str:
        candidates: list[Any] = [stored.state.get("locale"), message.locale, stored.locale]
        for locale in candidates:
            if isinstance(locale, str) and (language := locale[:2].lower()) in APOLOGY:
                return APOLOGY[language]
        return APOLOGY.get(self._deps.default_locale, APOLOGY["vi"])


@dataclass(slots=True)
class _Deferred:
    """The conversations of a batch of notices (with their citizens' communes and standing),
    read together, and what their turns save and log, kept to be written with one statement
    each once every turn has run."""

    opened: dict[str, StoredConversation]
    saves: list[tuple[StoredConversation, State]] = field(default_factory=list)
    logged: list[tuple[ConversationRef, IncomingMessage | None, Sequence[Reply]]] = field(
        default_factory=list
    )

    async def flush(self, session: AsyncSession, now: datetime) -> None:
        """Save and log what the turns left.

        Raises:
            StaleConversation: a conversation changed since it was opened.
        """
        await SqlConversations(session).save_all(self.saves, now)
        await SqlMessageLog(session).record_turns(self.logged, now)


async def _link(
    session: AsyncSession,
    message: IncomingMessage,
    effect: IssueLinkCode | RedeemLinkCode,
    now: datetime,
    limiter: RateLimiter,
) -> tuple[IncomingMessage, str]:
    """Make or check a link code; the outcome as an internal message, and the code to hide.

    A code typed from an address over its limit is not even checked (and so not counted as a
    wrong guess): the citizen is told to wait, as when their own app is locked out.
    """
    identities = SqlIdentities(session)
    if isinstance(effect, IssueLinkCode):
        person = await identities.ensure_person(message.ref, now)
        code = await identities.issue_code(person, now)
        payload = f"lk:code:{code}:{CODE_TTL // timedelta(minutes=1)}"
    else:
        code = effect.code
        address = message.address
        if address is not None and await limiter.hit(Limit.LINK_ADDRESS, address):
            payload = f"lk:res:{RedeemOutcome.LOCKED}"
        else:
            redemption = await identities.redeem_code(code, message.ref, now)
            payload = f"lk:res:{redemption.outcome}"
    outcome = message.follow_up(payload)
    return outcome, code


def _hide(text: str, codes: Sequence[str]) -> str:
    """``text`` with any link code in it (spaced or not) masked, for the message log."""
    for code in codes:
        text = re.sub(r"[\s.\-]*".join(code), HIDDEN_CODE, text)
    return text
