"""Dossiers the portal has received, stored as if each citizen had filed from the chat.

The portal-event tests and ``bench.status_stages`` both need many filed dossiers before any
status can move; filing each through the dialogs and the sandbox would cost them more than
what they measure.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from bot.storage.dossiers import SqlDossiers
from dialogs.messages import ConversationRef
from dialogs.ports import PortalDossier, PortalFee
from dialogs.step import SubmitDossier

BIRTH_REGISTRATION = "1.001193"


def dossier_code(n: int) -> str:
    """The portal's code of dossier ``n``, in the portal's own format."""
    return f"000.00.20.H39-261124-{n:04d}"


async def file_received(
    dossiers: SqlDossiers, refs: Iterable[ConversationRef], now: datetime, due: date
) -> None:
    """File a birth registration for each citizen, dossier ``n`` for the ``n``-th, as received."""
    for n, ref in enumerate(refs):
        effect = SubmitDossier(f"key-{n}", BIRTH_REGISTRATION, {}, now.isoformat(), "seed")
        await dossiers.queue(ref, effect, "vi", now)
        (queued,) = await dossiers.for_ref(ref)
        receipt = PortalDossier(
            code=dossier_code(n),
            status="submitted",
            label="Đã nộp",
            procedure_code=BIRTH_REGISTRATION,
            due_date=due,
            overdue=False,
            fee=PortalFee(0),
            delivery="pickup",
            updated_at=now - timedelta(minutes=1),
        )
        await dossiers.filed(queued, receipt, now)
