"""ChatHarness: drive ``dialogs.engine.handle`` like a conversation, checking every turn.

Each turn goes through the real engine with the real Babel catalogs; the state is round-tripped
through JSON exactly as the dispatcher stores it, and every button payload is checked against
Telegram's 64-byte callback_data limit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from dialog_fakes import FakeClock, FakeKnowledgeBase

from bot.i18n import translator
from dialogs.engine import handle
from dialogs.messages import Button, ConversationRef, IncomingMessage, Reply
from dialogs.pages import PAGE_CHARS
from dialogs.ports import KnowledgeBase
from dialogs.step import (
    DialogDeps,
    Effect,
    IssueLinkCode,
    ListDossiers,
    LocalDesk,
    LookUpDossier,
    RedeemLinkCode,
    ScheduleReminder,
    Step,
)


@dataclass
class ChatHarness:
    """One citizen talking to the engine."""

    knowledge: KnowledgeBase = field(default_factory=FakeKnowledgeBase)
    clock: FakeClock = field(default_factory=FakeClock)
    locale: str | None = "vi"
    channel: str = "terminal"
    messaging_windows: dict[str, timedelta] = field(default_factory=dict)
    local_desk: LocalDesk | None = None
    state: dict[str, Any] = field(default_factory=dict)
    replies: tuple[Reply, ...] = ()
    effects: tuple[Effect, ...] = ()
    scheduled: list[ScheduleReminder] = field(default_factory=list)

    @property
    def deps(self) -> DialogDeps:
        return DialogDeps(
            knowledge=self.knowledge,
            clock=self.clock,
            translator=translator,
            messaging_windows=self.messaging_windows,
            local_desk=self.local_desk,
        )

    @property
    def step(self) -> str:
        return str(self.state["step"])

    @property
    def text(self) -> str:
        """Every reply of the last turn, joined."""
        return "\n".join(reply.text for reply in self.replies)

    @property
    def buttons(self) -> tuple[Button, ...]:
        return tuple(b for reply in self.replies for b in reply.buttons)

    @property
    def labels(self) -> list[str]:
        return [b.label for b in self.buttons]

    def send(self, text: str | None, **extra: Any) -> ChatHarness:
        """The citizen types ``text``."""
        return self._turn(IncomingMessage(self._ref, text=text, locale=self.locale, **extra))

    def press(self, label: str) -> ChatHarness:
        """The citizen taps the button labelled ``label`` in the last turn."""
        matches = [b for b in self.buttons if b.label == label]
        assert matches, f"no button {label!r}; buttons: {self.labels}"
        assert matches[0].payload, f"{label!r} is a URL button"
        return self.payload(matches[0].payload)

    def payload(self, payload: str) -> ChatHarness:
        """A raw payload arrives (an old button, or a reminder falling due)."""
        return self._turn(IncomingMessage(self._ref, payload=payload, locale=self.locale))

    def internal(self, payload: str, facts: dict[str, Any] | None = None) -> ChatHarness:
        """The dispatcher answers an effect within the turn, as an internal message."""
        return self._turn(
            IncomingMessage(
                self._ref, payload=payload, locale=self.locale, internal=True, facts=facts
            )
        )

    def pick(self, code: str) -> ChatHarness:
        """Get to the answer card of ``code``: directly, or by choosing it among the variants."""
        if self.step != "qa:answer" or self.state.get("proc") != code:
            [button] = [b for b in self.buttons if b.payload == f"proc:{code}"]
            self.press(button.label)
        assert self.step == "qa:answer" and self.state["proc"] == code, self.text
        return self

    def read_on(self) -> ChatHarness:
        """Tap "Xem thêm" until the long reply is whole; the last turn then holds all of it."""
        texts = [self.text]
        while more := [b for b in self.buttons if (b.payload or "").startswith("more:")]:
            assert all(len(reply.text) <= PAGE_CHARS for reply in self.replies), self.text
            self.payload(more[0].payload or "")
            texts.append(self.text)
        self.replies = (Reply("\n".join(texts), self.buttons),)
        return self

    def deliver_reminders(self) -> ChatHarness:
        """Feed every reminder due by now back through the engine, as the dispatcher does."""
        due = [r for r in self.scheduled if r.due_at <= self.clock.now()]
        assert due, "no reminder is due"
        self.scheduled = [r for r in self.scheduled if r not in due]
        for reminder in due:
            self._turn(IncomingMessage(self._ref, payload=reminder.payload, locale=None))
        return self

    def expect(self, *fragments: str) -> ChatHarness:
        """Each fragment appears in the last turn's text."""
        for fragment in fragments:
            assert fragment in self.text, f"{fragment!r} not in:\n{self.text}"
        return self

    def expect_not(self, *fragments: str) -> ChatHarness:
        for fragment in fragments:
            assert fragment not in self.text, f"{fragment!r} unexpectedly in:\n{self.text}"
        return self

    def expect_buttons(self, *labels: str) -> ChatHarness:
        """The last turn offers exactly these buttons, in this order."""
        assert self.labels == list(labels), self.labels
        return self

    def expect_has_buttons(self, *labels: str) -> ChatHarness:
        for label in labels:
            assert label in self.labels, f"{label!r} not in {self.labels}"
        return self

    def url_of(self, label: str) -> str:
        [button] = [b for b in self.buttons if b.label == label]
        assert button.url, f"{label!r} is not a URL button"
        return button.url

    @property
    def _ref(self) -> ConversationRef:
        return ConversationRef(self.channel, "citizen-1")

    def _turn(self, message: IncomingMessage) -> ChatHarness:
        before = json.dumps(self.state, sort_keys=True)
        step: Step = handle(self.state, message, self.deps)
        assert json.dumps(self.state, sort_keys=True) == before, "handle() mutated its input"
        self.state = json.loads(json.dumps(step.state))
        assert self.state == step.state, "state is not plain JSON"
        # A turn asking for a link code or a dossier is answered by the dispatcher's follow-up.
        asks = any(
            isinstance(e, IssueLinkCode | RedeemLinkCode | LookUpDossier | ListDossiers)
            for e in step.effects
        )
        # While the staff answer (or as it is handed over) the assistant stays quiet.
        quiet = self.state.get("step") == "staff:talking"
        assert step.replies or asks or quiet, "every turn answers"
        for button in (b for reply in step.replies for b in reply.buttons):
            assert (button.payload is None) != (button.url is None), button
            if button.payload:
                assert button.payload.isascii() and len(button.payload.encode()) <= 64, button
            assert button.label.strip(), button
        self.replies = step.replies
        self.effects = step.effects
        self.scheduled.extend(e for e in step.effects if isinstance(e, ScheduleReminder))
        return self
