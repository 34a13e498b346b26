"""Translation between Telegram's updates (as ``schema`` checks them) and motcua's
platform-neutral message model."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime

from cachetools import LRUCache

from dialogs.messages import Attachment, ConversationRef, IncomingMessage, Reply
from dialogs.ports import ButtonPayloads
from integrations.render import Capabilities
from integrations.telegram.schema import Chat, Message, TelegramUpdate, User

CHANNEL = "telegram"

CAPABILITIES = Capabilities(
    max_text=4096,  # MessageLimit.MAX_TEXT_LENGTH, counted in UTF-16 code units
    max_buttons=100,  # InlineKeyboardMarkupLimit.TOTAL_BUTTON_NUMBER
    max_label=64,  # no API limit, but longer labels are cut off on phones anyway
    max_payload_bytes=64,  # InlineKeyboardButtonLimit.MAX_CALLBACK_DATA
    utf16=True,
)


class CallbackTokens:
    """Short tokens for payloads too long for ``callback_data``, and the payloads back.

    The token is a hash of the payload, so the same payload always gets the same token and a
    token never changes meaning. Tokens are kept in the ``ButtonPayloads`` store before the
    buttons carrying them are sent, so a tap that reaches another worker, or comes after a
    restart, still resolves; the most recent ``capacity`` are also remembered here. A token
    nobody kept comes back unresolved, and the dialogs answer it as an out-of-date button.
    """

    PREFIX = "~"

    def __init__(self, store: ButtonPayloads | None = None, capacity: int = 10_000) -> None:
        self._store = store
        self._known: LRUCache[str, str] = LRUCache(maxsize=capacity)

    def token_for(self, payload: str) -> str:
        """The 28-byte token standing for ``payload``."""
        digest = hashlib.sha256(payload.encode()).digest()[:20]
        return self.PREFIX + base64.urlsafe_b64encode(digest).decode().rstrip("=")

    async def keep(self, payloads: Mapping[str, str]) -> None:
        """Store token -> payload pairs not known yet; call before sending their buttons."""
        for token, payload in payloads.items():
            if token in self._known:
                continue
            if self._store is not None:
                await self._store.keep(token, payload)
            self._known[token] = payload

    async def fetch(self, data: str | None) -> None:
        """Look ``data`` up in the store when it is a token this worker does not know."""
        if self._store is None or not data or not data.startswith(self.PREFIX):
            return
        if data not in self._known and (payload := await self._store.find(data)) is not None:
            self._known[data] = payload

    def resolve(self, data: str) -> str:
        """The payload a token stands for (after ``fetch``); other data is the payload itself."""
        return self._known.get(data, data)


def to_incoming(update: TelegramUpdate, resolve: Callable[[str], str]) -> IncomingMessage | None:
    """The user's action in ``update``, or None for updates that carry nothing to answer."""
    query, message = update.callback_query, update.message
    if query is not None:
        # A button's conversation is the chat of the message it was under, else its user's.
        where = query.message.chat if query.message is not None else query.from_
        base = _incoming(update, where, query.from_)
        return replace(base, payload=resolve(query.data)) if query.data else None
    if message is None:
        return None
    attachment = _attachment(message)
    text = message.text or message.caption
    if text is None and attachment is None:
        return None
    received_at = datetime.fromtimestamp(message.date, tz=UTC)
    base = _incoming(update, message.chat, message.from_)
    return replace(base, text=text, attachment=attachment, received_at=received_at)


def _incoming(update: TelegramUpdate, where: Chat | User, user: User | None) -> IncomingMessage:
    """The message of a conversation (``where``: a chat, or a user outside any chat) in the
    language of ``user``, without its content yet."""
    return IncomingMessage(
        ref=ConversationRef(CHANNEL, str(where.id)),
        locale=user.language_code if user is not None else None,
        message_id=str(update.update_id),  # what the dispatcher deduplicates on
    )


def _attachment(message: Message) -> Attachment | None:
    if message.photo:
        largest = message.photo[-1]
        return Attachment(kind="image", size=largest.file_size, file_id=largest.file_id)
    if message.document is not None:
        document = message.document
        return Attachment(
            kind="file",
            name=document.file_name or "",
            size=document.file_size,
            file_id=document.file_id,
        )
    return None


def with_payloads(reply: Reply) -> Reply:
    """The reply with every non-link button carrying a payload (its label when it had none).

    Done before rendering, so a long label used as a payload is shortened like any payload.
    """
    if all(button.payload or button.url for button in reply.buttons):
        return reply
    buttons = tuple(
        button if button.payload or button.url else replace(button, payload=button.label)
        for button in reply.buttons
    )
    return replace(reply, buttons=buttons)
