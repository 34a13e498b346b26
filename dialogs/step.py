"""What one turn of a conversation produces, and what the dialogs need to produce it.

``dialogs.engine.handle(state, message, deps) -> Step`` is the whole contract between the
dispatcher and the conversations: the state is a JSON-serialisable dict that the dispatcher
stores verbatim; effects are requests the dispatcher carries out after saving the state, within
the same turn.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from dialogs.messages import Reply
from dialogs.ports import Clock, KnowledgeBase, Translator

LINK_CODE_DIGITS = 6
"""A link code's length: short enough for an elderly citizen to read on one phone and type on
another. The dialogs recognise it, the dispatcher makes it."""

State = Mapping[str, Any]
"""A conversation's state: plain JSON data with a readable ``"step"`` id (``"checklist:item"``)."""


@dataclass(frozen=True, slots=True)
class ScheduleReminder:
    """Deliver ``payload`` back at ``due_at`` on the app it was asked on (survives restarts).

    When it falls due the dispatcher feeds ``IncomingMessage(payload=payload)`` through the
    dialogs like any other message and sends the replies proactively. A citizen who linked
    apps shares one conversation, so its buttons work on any of them.
    """

    due_at: datetime
    payload: str


@dataclass(frozen=True, slots=True)
class IssueLinkCode:
    """Make a one-time code that links another channel to this citizen.

    The dispatcher makes it in the same turn and feeds back an internal message with payload
    ``"lk:code:<code>:<minutes valid>"``, whose replies show it; the code is never kept.
    """


@dataclass(frozen=True, slots=True)
class RedeemLinkCode:
    """Link this channel to the citizen who was given ``code`` on another channel.

    The dispatcher feeds back an internal message with payload ``"lk:res:<outcome>"``, the
    outcome being ``linked``, ``invalid`` (unknown, expired or used) or ``locked``.
    """

    code: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class IssueConsentCode:
    """Make a one-time code for the person a volunteer files for, to type on their own chat.

    The dispatcher keeps what the person will be shown and feeds back an internal message
    ``"cs:code:<code>:<minutes valid>"``; the code is never kept in the state. ``key`` is the
    filing's idempotency key, which ties the person's answer to this filing.
    """

    key: str
    procedure: str
    full_name: str = field(repr=False)
    relationship: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class RedeemConsentCode:
    """Show the person who typed ``code`` who asks to file what for them.

    Answered with an internal ``cs:ask`` whose facts hold the ``outcome`` (``found``,
    ``invalid``, ``expired``, ``own`` or ``locked``) and, when found, the request's ``id``,
    ``procedure``, ``full_name`` and ``relationship``.
    """

    code: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class AnswerConsent:
    """The person agrees (or not) to the filing of request ``request``.

    The dispatcher records it, tells the volunteer's chat through the outbox (``cs:yes`` or
    ``cs:no`` with the filing's ``key``), and answers with an internal ``cs:done`` whose facts
    say the ``outcome`` (``agreed``, ``refused`` or ``gone``).
    """

    request: int
    agreed: bool


@dataclass(frozen=True, slots=True)
class SubmitDossier:
    """File a confirmed dossier with the portal, exactly once.

    The dispatcher keeps it in the dossier outbox in the turn's transaction; ``key`` (fixed when
    the filing began) is the portal's idempotency key, so no retry, double tap or crash files
    it twice. ``request`` is the contract's body without ``callback_url``; the consent to the
    personal-data notice is kept with it (time and text version).
    """

    key: str
    procedure: str
    request: Mapping[str, Any] = field(repr=False)
    consent_at: str
    consent_version: str
    papers: tuple[tuple[str, int], ...] = ()
    """(the paper's name for the portal, the kept file's id): sent once the dossier is filed."""


@dataclass(frozen=True, slots=True)
class SupplyPapers:
    """Send papers the one-stop desk asked for (``supplement_required``) to a filed dossier.

    ``papers`` are (name for the portal, kept file's id); the dispatcher hands them to the
    dossier sender, which attaches them to the dossier with this ``code`` if it is the
    citizen's own.
    """

    code: str
    papers: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class DeleteMyData:
    """Erase everything kept about this citizen, on every app they linked, in this turn.

    The citizen confirmed it. The dispatcher erases after saving the step's state, so nothing
    of the conversation is left either, and keeps no log of this turn; its replies are sent.
    """


@dataclass(frozen=True, slots=True)
class LookUpDossier:
    """Find a dossier by its code for the citizen; ``id_number`` is the applicant's, needed
    when this conversation did not file it.

    The dispatcher answers in the same turn with an internal message ``ds:found`` whose facts
    say the outcome (``found`` with the status, ``ask_id``, ``wrong``, ``locked`` or
    ``unavailable``).
    """

    code: str
    id_number: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class ListDossiers:
    """List the dossiers this conversation filed; answered with an internal ``ds:mine``."""


@dataclass(frozen=True, slots=True)
class NoteQuestion:
    """Count a question and how it went, for staff: what citizens ask and what the assistant
    could not answer.

    ``outcome`` is ``answered``, ``help`` (a portal-usage answer), ``declined`` (staff's
    out-of-scope reply), ``law`` (declined as legal advice), ``unsure`` (only guesses),
    ``none`` (nothing fits) or ``not_helpful`` (the citizen said the answer was not what they
    meant). ``text`` is what they asked, kept for the unanswered outcomes only.
    """

    outcome: str
    procedure: str | None = None
    text: str | None = field(default=None, repr=False)


UNANSWERED = frozenset({"law", "unsure", "none", "not_helpful"})
"""The outcomes staff review: the questions the assistant could not answer."""


@dataclass(frozen=True, slots=True)
class NoteMilestone:
    """A step of the checklist funnel was reached: ``checklist_opened`` or ``checklist_done``."""

    kind: str
    procedure: str


@dataclass(frozen=True, slots=True)
class RateHelp:
    """The citizen rated the help they got (a checklist or a filed dossier), with one tap.

    ``key`` identifies the rating within the conversation, so a comment typed afterwards is
    added to the same rating instead of counting a second one.
    """

    key: str
    subject: str  # "checklist" or "dossier"
    procedure: str | None
    good: bool
    comment: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class ShowCommune:
    """Say which commune the citizen chose and what it announced lately.

    Answered with an internal ``nw:mine`` whose facts hold its code (``commune``, None when none
    was chosen), the ``page`` asked for, that page's announcements newest first (``news``: each
    ``{"at": ISO time, "vi": text, "en": English text or None, "link"}``) and
    whether older ones are left (``older``).
    """

    page: int = 0


@dataclass(frozen=True, slots=True)
class ChooseCommune:
    """Subscribe the citizen (every linked app) to a commune's announcements; None ends it."""

    code: int | None


@dataclass(frozen=True, slots=True)
class RequestStaff:
    """Hand the conversation to the staff of the citizen's commune.

    The dispatcher queues it and answers in the same turn with an internal ``hs:queued`` whose
    facts name the commune whose staff have it (``commune``, its code) and say when the office
    opens (``opens_at``, ISO time) if it is closed now; when the
    citizen has chosen no commune, it queues nothing and answers ``hs:where`` instead.
    ``commune`` is the commune picked to reach its staff when none was chosen for its
    announcements: asking a person is no request for announcements.
    """

    commune: int | None = None


@dataclass(frozen=True, slots=True)
class EndStaff:
    """The citizen takes the conversation back from the staff: its handoff is closed."""


@dataclass(frozen=True, slots=True)
class JoinGroup:
    """Ask to join the community digital-technology group; a coordinator decides in the console.

    The dispatcher keeps the request with this app; the decision comes back through the outbox
    as an internal ``vo:approved``, ``vo:rejected`` or ``vo:revoked``.
    """

    full_name: str = field(repr=False)
    commune: int
    phone: str = field(repr=False)


Effect = (
    NoteQuestion
    | NoteMilestone
    | RateHelp
    | ScheduleReminder
    | IssueLinkCode
    | RedeemLinkCode
    | IssueConsentCode
    | RedeemConsentCode
    | AnswerConsent
    | SubmitDossier
    | SupplyPapers
    | DeleteMyData
    | LookUpDossier
    | ListDossiers
    | ShowCommune
    | ChooseCommune
    | RequestStaff
    | EndStaff
    | JoinGroup
)


class Membership(StrEnum):
    """Where a citizen's request to join the digital-technology group stands."""

    PENDING = "pending"
    APPROVED = "approved"
    """A member: may file dossiers on someone else's behalf."""
    REJECTED = "rejected"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class LocalDesk:
    """The one-stop desk of the citizen's commune, as its staff describe it in the console.

    ``days`` are ISO weekday digits (``"12345"``), ``opens``/``closes`` ``HH:MM``.
    """

    address: str
    phone: str
    days: str
    opens: str
    closes: str
    map_url: str
    notes: str


@dataclass(frozen=True, slots=True)
class Step:
    """The result of one turn: the new state, the replies to send and effects to carry out."""

    state: dict[str, Any]
    replies: tuple[Reply, ...]
    effects: tuple[Effect, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class DialogDeps:
    """Everything a dialog may consult; all of it pure or read-only."""

    knowledge: KnowledgeBase
    clock: Clock
    translator: Callable[[str], Translator]  # locale -> translator
    default_locale: str = "vi"
    portal_url: str = "https://dichvucong.gov.vn"
    local_desk: LocalDesk | None = None
    """The citizen's own commune desk, when staff entered it: added to answer cards."""
    public_url: str = ""
    """motcua's own public base URL (``MOTCUA_PUBLIC_URL``), for links to its printable pages
    from apps other than the web chat, which links to them by path."""
    membership: Membership | None = None
    """The citizen's standing in the digital-technology group, read afresh for every turn,
    so a revoked member loses filing on someone else's behalf at once."""
    messaging_windows: Mapping[str, timedelta] = field(default_factory=dict)
    """Channel name -> how long after a user's last message the platform lets us write first.

    A reminder due later than that is held until the citizen writes again, so the dialogs say so.
    """
