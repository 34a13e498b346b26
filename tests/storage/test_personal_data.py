"""The personal-data registry: complete, and export, erase and retention reach every row of a
citizen across all their linked apps and nobody else's, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from support.clock import ManualClock

from bot import personal_data
from bot.announcements.compose import Author, Draft, compose
from bot.announcements.store import SqlAnnouncements, SqlDeliveries
from bot.dispatcher import Dispatcher
from bot.inbox import DurableInbox
from bot.papers import Papers
from bot.personal_data import FREE_OF_PERSONAL_DATA, REGISTRY, UNNAMED, Retention
from bot.storage.consents import SqlConsents
from bot.storage.database import Database
from bot.storage.dossiers import SqlDossiers
from bot.storage.handoffs import SqlHandoffs
from bot.storage.identity import SqlIdentities
from bot.storage.lookups import SqlLookupGuard
from bot.storage.platform_state import SqlUnreachableUsers
from bot.storage.secrets import SERVER_KEY, SqlSecretStore
from bot.storage.subscriptions import SqlSubscriptions
from bot.storage.tables import Base, SecretRow
from bot.storage.volunteers import SqlVolunteers
from dialogs.messages import Button, ConversationRef, IncomingMessage, Reply
from dialogs.step import DeleteMyData, DialogDeps, Step, SubmitDossier
from integrations.messenger.window import MessagingWindow
from storage.test_dispatcher import echo, make_deps

CLI = Author.command_line()
AN = (ConversationRef("telegram", "111222333"), ConversationRef("messenger", "2400000000000001"))
BINH = (ConversationRef("telegram", "444555666"), ConversationRef("messenger", "2400000000000002"))


def test_every_table_is_registered_or_declared_free_of_personal_data() -> None:
    registered = [entry.name for entry in (*REGISTRY, *UNNAMED)]
    assert len(registered) == len(set(registered))
    assert not set(registered) & set(FREE_OF_PERSONAL_DATA)
    # A new table must say here whether it holds personal data, or export/delete miss it.
    assert set(Base.metadata.tables) == set(registered) | set(FREE_OF_PERSONAL_DATA)


async def _citizen(
    database: Database, clock: ManualClock, refs: tuple[ConversationRef, ...]
) -> None:
    """A citizen on Telegram and Messenger, linked, with a row in every personal table."""
    app, other = refs
    dispatcher = Dispatcher(database, make_deps(clock), dialog=echo)
    # The first message comes from the chat app, through the inbox.
    async with DurableInbox(database, dispatcher.handle, clock, poll_interval=0.05) as inbox:
        await inbox.answer(IncomingMessage(app, text="so cua toi 0912345678"), patience=5)
        await inbox.join()
    await dispatcher.handle(IncomingMessage(app, text="remind"))  # a reminder, still pending
    await dispatcher.handle(IncomingMessage(other, text="xin chao"))
    async with database.transaction() as session:
        identities = SqlIdentities(session)
        person = await identities.ensure_person(app, clock.now())
        code = await identities.issue_code(person, clock.now())
        await identities.redeem_code("000000" if code != "000000" else "000001", app, clock.now())
        await identities.redeem_code(code, other, clock.now())
        # A relative's consent asked for, to be given on their own app.
        await SqlConsents(session).issue(
            app, f"key-{app.user_id}", "1.001193", "Nguyễn Văn Tư", "cha", clock.now()
        )
    await dispatcher.handle(IncomingMessage(other, text="tiep tuc"))  # the shared conversation
    window = MessagingWindow(SqlSecretStore(database, clock.now), clock)
    await window.touch(other.user_id, clock.now())
    # A photo of a paper sent for a dossier, not sent to the portal yet.
    kept = await Papers(database, clock, {}).keep(app, "giay-chung-sinh.jpg", b"\xff\xd8\xff\xe0")
    assert kept.paper is not None
    filing = SubmitDossier(
        key=f"key-{app.user_id}",
        procedure="1.001193",
        request={
            "applicant": {"full_name": "Nguyễn Thị Hoà", "phone": "+84912345678"},
            "on_behalf_of": {"full_name": "Nguyễn Văn Tư", "relationship": "cha"},
        },
        consent_at=clock.now().isoformat(),
        consent_version="2026-12-01",
    )
    async with database.transaction() as session:  # a dossier the portal refused: finished
        dossiers = SqlDossiers(session)
        await dossiers.queue(app, filing, "vi", clock.now())
        (queued,) = await dossiers.claim_queued(clock.now(), timedelta(minutes=1), 1)
        await dossiers.rejected(queued, "PortalRejected", clock.now())
        # A wrong ID number typed to look someone's dossier up.
        await SqlLookupGuard(session).wrong("000.00.20.H39-261124-0001", app.key, clock.now())
        await SqlSubscriptions(session).choose(app, 4, clock.now())  # Phường Ba Đình
        # Asked to talk to staff, who answered and closed it.
        handoffs = SqlHandoffs(session)
        asked = await handoffs.request(app, "00004", clock.now())
        await handoffs.close(asked.id, "staff", clock.now())
        # A commune announcement went to the app the commune was chosen on.
        announcement = await SqlAnnouncements(session).create(
            compose(Draft("Lịch tiêm", communes=["00004"]), CLI, clock.now(), str),
            CLI,
            clock.now(),
        )
        await SqlDeliveries(session).fan_out(announcement.id, clock.now(), [app.channel])
        # Asked to join the digital-technology group from the other app, and was approved.
        volunteers = SqlVolunteers(session)
        joined = await volunteers.ask(other, "Nguyễn Thị Hoà", 4, "+84912345678", clock.now())
        await volunteers.decide(joined.id, "approve", "dieu.phoi@xa.vn", clock.now())
    await SqlUnreachableUsers(database, app.channel, clock.now).add(app.user_id)  # blocked us


async def _export(database: Database, ref: ConversationRef) -> dict[str, Any]:
    async with database.transaction() as session:
        return await personal_data.export(session, ref)


def _non_empty(exported: dict[str, Any]) -> set[str]:
    return {name for name, rows in exported["tables"].items() if rows}


async def test_export_has_every_table_and_erase_removes_it_all_for_one_citizen_only(
    database: Database, clock: ManualClock
) -> None:
    await _citizen(database, clock, AN)
    await _citizen(database, clock, BINH)

    exported = await _export(database, AN[1])  # found from either app

    assert exported["identities"] == [
        {"channel": r.channel, "user_id": r.user_id} for r in (AN[1], AN[0])
    ]
    assert _non_empty(exported) == {entry.name for entry in REGISTRY}
    dumped = json.dumps(exported, ensure_ascii=False)
    assert "0912345678" in dumped and "code_hash" not in dumped
    assert BINH[0].user_id not in dumped and BINH[1].user_id not in dumped

    async with database.transaction() as session:
        removed = await personal_data.erase(session, AN[0])

    assert all(removed[entry.name] > 0 for entry in REGISTRY)
    assert _non_empty(await _export(database, AN[0])) == set()
    assert _non_empty(await _export(database, AN[1])) == set()
    assert _non_empty(await _export(database, BINH[0])) == {entry.name for entry in REGISTRY}
    async with database.transaction() as session:  # platform credentials are not personal
        assert await session.scalar(select(SecretRow.key).where(SecretRow.key == SERVER_KEY))


async def test_retention_purges_only_what_expired(database: Database, clock: ManualClock) -> None:
    await _citizen(database, clock, AN)
    clock.advance(timedelta(days=300))
    await _citizen(database, clock, BINH)
    clock.advance(timedelta(days=100))  # An last wrote 400 days ago, Bình 100 days ago

    removed = await personal_data.purge(
        database, clock.now(), Retention(personal=timedelta(days=365), messages=timedelta(days=90))
    )

    # A reminder not yet delivered is kept however old the request; the announcement sent
    # with Bình's (to everyone in the commune, An too) went out only 100 days ago.
    assert _non_empty(await _export(database, AN[0])) == {"reminders", "announcement_deliveries"}
    # Papers never sent to the portal go with the messages, after 90 days.
    everything_but_messages = {entry.name for entry in REGISTRY} - {
        "message_log",
        "inbox",
        "papers",
    }
    assert _non_empty(await _export(database, BINH[0])) == everything_but_messages
    assert removed["message_log"] == 16  # both citizens' messages are past 90 days
    assert await personal_data.purge(
        database, clock.now(), Retention(timedelta(days=365), timedelta(days=90))
    ) == dict.fromkeys(removed, 0)


async def test_a_large_backlog_is_purged_in_batches(database: Database, clock: ManualClock) -> None:
    dispatcher = Dispatcher(database, make_deps(clock), dialog=echo)
    for n in range(3):
        await dispatcher.handle(IncomingMessage(AN[0], text=f"cau hoi {n}"))
    clock.advance(timedelta(days=91))

    removed = await personal_data.purge(
        database, clock.now(), Retention(timedelta(days=365), timedelta(days=90)), batch=2
    )

    assert removed["message_log"] == 6


def forgetful(state: Mapping[str, Any], message: IncomingMessage, deps: DialogDeps) -> Step:
    """The echo dialog, where "forget me" is a confirmed request to delete the citizen's data."""
    if message.text == "forget me":
        return Step({"step": "menu"}, (Reply("gone"),), (DeleteMyData(),))
    return echo(state, message, deps)


async def test_a_confirmed_chat_request_erases_every_linked_app_and_is_not_logged(
    database: Database, clock: ManualClock
) -> None:
    await _citizen(database, clock, AN)
    await _citizen(database, clock, BINH)
    dispatcher = Dispatcher(database, make_deps(clock), dialog=forgetful)

    replies = await dispatcher.handle(IncomingMessage(AN[1], text="forget me", message_id="m1"))

    assert replies == [Reply("gone")]  # still answered
    assert _non_empty(await _export(database, AN[0])) == set()
    assert _non_empty(await _export(database, BINH[1])) == {entry.name for entry in REGISTRY}
    # The citizen may start again; the dispatcher no longer takes them for a linked person.
    assert await dispatcher.handle(IncomingMessage(AN[0], text="hello")) == [
        Reply("1: hello", (Button("Again", payload="again"),))
    ]
