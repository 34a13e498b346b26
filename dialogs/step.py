"""What one turn of a conversation produces, and what the dialogs need to produce it.

``dialogs.engine.handle(state, message, deps) -> Step`` is the whole contract between the
dispatcher and the conversations: the state is a JSON-serialisable dict that the dispatcher
stores verbatim; effects are requests the dispatcher carries out after saving the state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dialogs.messages import Reply
from dialogs.ports import Clock, KnowledgeBase, Translator

State = Mapping[str, Any]
"""A conversation's state: plain JSON data with a readable ``"step"`` id (``"checklist:item"``)."""


@dataclass(frozen=True, slots=True)
class ScheduleReminder:
    """Deliver ``payload`` back to this conversation at ``due_at`` (survives restarts).

    When it falls due the dispatcher feeds ``IncomingMessage(payload=payload)`` through the
    dialogs like any other message and sends the replies proactively.
    """

    due_at: datetime
    payload: str


Effect = ScheduleReminder


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
