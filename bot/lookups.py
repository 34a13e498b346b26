"""Looking dossiers up for the dialogs: the citizen's own list, and a dossier by its code.

The dialogs ask with an effect (``LookUpDossier``, ``ListDossiers``); the dispatcher answers
here, in the same turn, with an internal message carrying the facts. A code this conversation
filed is shown with the ID number kept with it; any other needs the applicant's ID number,
wrong ones are counted (``bot.storage.lookups``) and tries from one address are rate-limited.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.dossiers import VIEWED_ON_BEHALF, SqlDossiers
from bot.storage.lookups import SqlLookupGuard
from dialogs.errors import PortalError, PortalNotFound
from dialogs.messages import IncomingMessage
from dialogs.ports import Limit, PortalClient, PortalDossier, RateLimiter
from dialogs.step import ListDossiers, LookUpDossier

logger = logging.getLogger(__name__)

MAX_LISTED = 20


def status_facts(found: PortalDossier, delivery: str | None = None) -> dict[str, Any]:
    """A dossier's state as the dialogs show it."""
    return {
        "code": found.code,
        "procedure": found.procedure_code,
        "status": found.status,
        "note": found.note[:1000],
        "due_date": found.due_date.isoformat() if found.due_date else None,
        "fee_amount": found.fee.amount,
        "payment_url": None if found.fee.paid else found.fee.payment_url,
        "delivery": delivery or found.delivery,
    }


async def answer(
    session: AsyncSession,
    portal: PortalClient,
    message: IncomingMessage,
    effect: LookUpDossier | ListDossiers,
    now: datetime,
    limiter: RateLimiter,
) -> IncomingMessage:
    """The internal message answering a lookup effect."""
    if isinstance(effect, ListDossiers):
        mine = await SqlDossiers(session).for_ref(message.ref)
        items = [
            {"code": d.code, "procedure": d.procedure, "status": d.status}
            for d in mine[:MAX_LISTED]
        ]
        return message.follow_up("ds:mine", {"items": items})
    facts = await _look_up(session, portal, message, effect, now, limiter)
    return message.follow_up("ds:found", facts)


async def _look_up(
    session: AsyncSession,
    portal: PortalClient,
    message: IncomingMessage,
    effect: LookUpDossier,
    now: datetime,
    limiter: RateLimiter,
) -> dict[str, Any]:
    code = effect.code
    dossiers = SqlDossiers(session)
    own = await dossiers.by_code(code)
    id_number = effect.id_number
    theirs = own is None or not await dossiers.is_citizens(own.id, message.ref)
    if own is not None and not theirs:
        id_number = own.id_number
        if own.on_behalf and own.ref == message.ref:
            await dossiers.audit(own.id, message.ref, VIEWED_ON_BEHALF, now)
    elif id_number is None:
        return {"outcome": "ask_id", "code": code}
    guard = SqlLookupGuard(session)
    identity = message.ref.key
    if theirs and await guard.locked(code, identity, now):
        return {"outcome": "locked", "code": code}
    # Guesses from one address share the budget of link codes typed from it (also secrets).
    address = message.address
    if theirs and address is not None and await limiter.hit(Limit.LINK_ADDRESS, address):
        return {"outcome": "locked", "code": code}
    try:
        found = await portal.get_dossier(code, id_number)
    except PortalNotFound:
        await guard.wrong(code, identity, now)
        locked = await guard.locked(code, identity, now)
        return {"outcome": "locked" if locked else "wrong", "code": code}
    except PortalError as error:
        logger.warning("dossier lookup failed: %s", type(error).__name__)
        return {"outcome": "unavailable", "code": code}
    return {"outcome": "found", **status_facts(found)}
