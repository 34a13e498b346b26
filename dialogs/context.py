"""One turn of a conversation: the working state, the dependencies and the user's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dialogs.messages import IncomingMessage
from dialogs.ports import Translator
from dialogs.step import DialogDeps, Effect
from knowledge.model import Procedure

SUPPORTED_LOCALES = ("vi", "en")


def resolve_locale(state: dict[str, Any], message: IncomingMessage, default: str) -> str:
    """The language for this turn: the user's choice, else the platform's, else the default.

    The choice is made in the chat's menu or, on the web page, with its language button.

    The platform's code is remembered so proactive messages (reminders), which carry none,
    still speak the user's language.
    """
    platform = supported(message.locale)
    if platform and message.locale_chosen:
        state["locale"] = platform  # the page's own control and the chat's menu agree
    elif platform:
        state["platform_locale"] = platform
    for candidate in (state.get("locale"), state.get("platform_locale"), default):
        if isinstance(candidate, str) and candidate in SUPPORTED_LOCALES:
            return candidate
    return SUPPORTED_LOCALES[0]


def supported(code: str | None) -> str | None:
    """Map a platform language code ("en-US", "vi_VN") to a supported locale, or None."""
    if not code:
        return None
    base = code.replace("_", "-").split("-", 1)[0].lower()
    return base if base in SUPPORTED_LOCALES else None


@dataclass
class Turn:
    """What a flow works with: it edits ``state`` and may add ``effects``."""

    state: dict[str, Any]
    deps: DialogDeps
    t: Translator
    message: IncomingMessage
    effects: list[Effect] = field(default_factory=list)

    def procedure(self, code: str | None) -> Procedure | None:
        """The procedure with this code from the knowledge base, if it (still) exists."""
        return self.deps.knowledge.get(code) if code else None

    def set_step(self, step: str) -> None:
        """Move the conversation to a step."""
        self.state["step"] = step
