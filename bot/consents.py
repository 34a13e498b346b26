"""A relative's consent given on their own chat, carried out for the dialogs.

The volunteer's filing asks for a code (``IssueConsentCode``), the person types it on their
own app (``RedeemConsentCode``) and answers (``AnswerConsent``). Each is answered in the same
turn with an internal message whose replies the dialogs word; the answer also reaches the
volunteer's chat through the outbox, where their filing goes on (or ends, on a refusal).
Typed codes from one address share the budget of link codes typed from it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.consents import CONSENT_TTL, CodeOutcome, ConsentRequest, SqlConsents
from bot.storage.reminders import SqlReminders
from dialogs.messages import ConversationRef, IncomingMessage
from dialogs.ports import Limit, RateLimiter
from dialogs.step import AnswerConsent, IssueConsentCode, RedeemConsentCode, SubmitDossier

AGREED = "cs:yes"
REFUSED = "cs:no"
CONSENT_METHOD = "code"
"""How the portal contract names a consent confirmed with a one-time code."""


async def carry_out(
    session: AsyncSession,
    message: IncomingMessage,
    effect: IssueConsentCode | RedeemConsentCode | AnswerConsent,
    now: datetime,
    limiter: RateLimiter,
) -> tuple[IncomingMessage, str | None]:
    """The internal message answering the effect, and the code to hide from the message log."""
    consents = SqlConsents(session)
    if isinstance(effect, IssueConsentCode):
        code = await consents.issue(
            message.ref, effect.key, effect.procedure, effect.full_name, effect.relationship, now
        )
        minutes = CONSENT_TTL // timedelta(minutes=1)
        return message.follow_up(f"cs:code:{code}:{minutes}"), code
    if isinstance(effect, RedeemConsentCode):
        address = message.address
        if address is not None and await limiter.hit(Limit.LINK_ADDRESS, address):
            return message.follow_up("cs:ask", {"outcome": CodeOutcome.LOCKED}), effect.code
        outcome, request = await consents.redeem(effect.code, message.ref, now)
        facts: dict[str, Any] = {"outcome": outcome}
        if request is not None:
            facts.update(
                id=request.id,
                procedure=request.procedure,
                full_name=request.full_name,
                relationship=request.relationship,
            )
        return message.follow_up("cs:ask", facts), effect.code
    answered = await consents.answer(effect.request, message.ref, effect.agreed, now)
    if answered is None:
        return message.follow_up("cs:done", {"outcome": "gone"}), None
    notice = {"key": answered.filing_key, "at": now.isoformat()}
    await SqlReminders(session).schedule(
        answered.volunteer, now, AGREED if effect.agreed else REFUSED, now, facts=notice
    )
    said = "agreed" if effect.agreed else "refused"
    return message.follow_up("cs:done", {"outcome": said}), None


async def agreement(
    session: AsyncSession, ref: ConversationRef, effect: SubmitDossier
) -> ConsentRequest | None:
    """The person's agreement a confirmed filing was made with, when they gave it by code."""
    on_behalf = effect.request.get("on_behalf_of")
    consent = on_behalf.get("consent") if isinstance(on_behalf, dict) else None
    if not isinstance(consent, dict) or consent.get("method") != CONSENT_METHOD:
        return None
    return await SqlConsents(session).agreed(ref, effect.key)
