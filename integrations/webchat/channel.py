"""The web chat channel: the page at ``/``, its JSON API, and proactive delivery by polling.

The page's own words come from the message catalogs through the ``Translator`` port; it is
rendered once, when the channel is built, so a missing catalog stops the server at start.

The channel keeps no state of its own. ``POST /api/chat`` hands the message to the inbox and
waits a little for its replies (the turn records it and them); when the conversation is busy
longer than that, the page is told "one moment" and finds the answer in the history later.
``GET /api/history`` reads the recorded conversation, which is how a reloaded page restores
itself and how reminders reach an open page.

A conversation is reached only with the identity cookie the server issued for it (see
``integrations.webchat.identity``); a request naming its own user is refused. The identity is
never logged and API answers are never cached.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from aiohttp import web

from dialogs.messages import Attachment, ConversationRef, IncomingMessage, Reply
from dialogs.ports import MAX_PAPER_BYTES, Inbox, Limit, PaperStore, RateLimiter, Translator
from integrations.client_address import Networks, client_address
from integrations.http_input import Refused, read_body
from integrations.webchat.api import (
    MAX_BODY_BYTES,
    MAX_HISTORY,
    ApiError,
    answer_locale,
    body_locale,
    chosen_identity,
    entry_json,
    not_json,
    parse_after,
    parse_chat,
    parse_upload,
    reply_json,
    too_large,
    too_many_requests,
    unavailable,
)
from integrations.webchat.history import History
from integrations.webchat.identity import Identities
from integrations.webchat.page import N_, render_page

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"

# The page loads only its own files; nothing inline, nothing from elsewhere.
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

PATIENCE = 3.0
"""Seconds a request waits for its replies before the page is told to wait a moment."""

ONE_MOMENT = N_("One moment…")

_dumps = functools.partial(json.dumps, ensure_ascii=False)


def _json(data: object, status: int = 200) -> web.Response:
    """A JSON response, never cached, with Vietnamese text left readable rather than escaped."""
    return web.json_response(
        data, status=status, dumps=_dumps, headers={"Cache-Control": "no-store"}
    )


class WebChat:
    """The ``web`` channel: aiohttp routes for the page and its API."""

    name = "web"

    def __init__(
        self,
        inbox: Inbox,
        history: History,
        translator: Callable[[str], Translator],
        identities: Identities,
        limiter: RateLimiter,
        trusted_proxies: Networks = (),
        papers: PaperStore | None = None,
    ) -> None:
        """Wire the channel; ``trusted_proxies`` may name the client in ``X-Forwarded-For``;
        files citizens upload are kept in ``papers`` (refused when there is none)."""
        self._inbox = inbox
        self._papers = papers
        self._history = history
        self._translator = translator
        self._identities = identities
        self._limiter = limiter
        self._proxies = trusted_proxies
        self._page_html = render_page(translator)

    def routes(self) -> list[web.AbstractRouteDef]:
        """The page, its static files and the JSON API, to mount on the server."""
        return [
            web.get("/", self._page),
            web.static("/static", STATIC_DIR),
            web.post("/api/chat", self._chat),
            web.post("/api/chat/file", self._file),
            web.get("/api/history", self._history_page),
        ]

    async def send(self, ref: ConversationRef, replies: Sequence[Reply]) -> None:
        """Nothing to push: the page polls the history, where these replies were recorded."""

    async def _page(self, request: web.Request) -> web.Response:
        response = web.Response(
            text=self._page_html, content_type="text/html", headers=_PAGE_HEADERS
        )
        try:
            if await self._identities.read(request) is None:
                await self._identities.hand_out(response, self._identities.new())
        except Exception:  # the page still shows; the API hands out the identity later
            log.exception("web chat identity unavailable")
        return response

    async def _admit(
        self, request: web.Request, user: str, per_identity: Limit = Limit.WEB_IDENTITY
    ) -> str | None:
        """Count the request against its address's limit and its identity's ``per_identity``
        limit; raise when over.

        Returns the client's address.
        """
        address = client_address(request, self._proxies)
        checks = [(per_identity, user)]
        if address is not None:
            checks.insert(0, (Limit.WEB_ADDRESS, address))
        for limit, key in checks:
            if wait := await self._limiter.hit(limit, key):
                raise too_many_requests(wait)
        return address

    async def _identity(self, request: web.Request) -> tuple[str, bool]:
        """The request's identity, and whether it is new (to hand out with the answer)."""
        user = await self._identities.read(request)
        return (self._identities.new(), True) if user is None else (user, False)

    async def _answer(self, data: object, user: str, new: bool) -> web.Response:
        response = _json(data)
        if new:
            await self._identities.hand_out(response, user)
        return response

    def _refuse(
        self, request: web.Request, error: ApiError, locale: str | None = None
    ) -> web.Response:
        """An error answer, worded in the request's language."""
        language = answer_locale(locale, request.headers.get("Accept-Language"))
        response = _json(error.body(self._translator(language)), status=error.status)
        response.headers.update(error.headers)
        return response

    async def _chat(self, request: web.Request) -> web.Response:
        raw = b""
        try:
            # JSON only: a form on another site cannot send it without the browser asking first.
            if request.content_type != "application/json":
                raise not_json()
            try:
                raw = await read_body(request, MAX_BODY_BYTES)
            except Refused:
                raise too_large() from None
            chat = parse_chat(raw)
        except ApiError as exc:
            return self._refuse(request, exc, body_locale(raw))
        try:
            user, new = await self._identity(request)
            address = await self._admit(request, user)
        except ApiError as exc:
            return self._refuse(request, exc, chat.locale)
        except Exception:  # the page gets a polite answer; the log gets the cause
            log.exception("web chat message failed")
            return self._refuse(request, unavailable(), chat.locale)
        return await self._hand_over(
            request,
            (user, new, address),
            chat.locale,
            chat.message_id,
            text=chat.text,
            payload=chat.button,
        )

    async def _file(self, request: web.Request) -> web.Response:
        """A paper uploaded from the page: the body is the file, its name in the query.

        Its bytes are checked and kept before the turn; one over the limit is not even read
        whole, and the conversation says why it was refused, in its context.
        """
        try:
            upload = parse_upload(request.query)
        except ApiError as exc:
            return self._refuse(request, exc)
        try:
            user, new = await self._identity(request)
            address = await self._admit(request, user)
            attachment = await self._keep(request, ConversationRef(self.name, user), upload.name)
        except ApiError as exc:
            return self._refuse(request, exc, upload.locale)
        except Exception:
            log.exception("web chat upload failed")
            return self._refuse(request, unavailable(), upload.locale)
        return await self._hand_over(
            request, (user, new, address), upload.locale, upload.message_id, attachment=attachment
        )

    async def _keep(self, request: web.Request, ref: ConversationRef, name: str) -> Attachment:
        refused = Attachment("file", name=name, refused="too_big")
        length = request.content_length
        if self._papers is None:
            return replace(refused, refused="unreadable")
        if length is not None and length > MAX_PAPER_BYTES:
            return refused
        try:
            data = await read_body(request, MAX_PAPER_BYTES)
        except Refused:
            return refused
        return await self._papers.keep(ref, name, data)

    async def _hand_over(
        self,
        request: web.Request,
        sender: tuple[str, bool, str | None],
        locale: str | None,
        message_id: str | None,
        **content: Any,
    ) -> web.Response:
        """Give the inbox what the page sent (text, a button or a file) and answer its replies.

        ``sender`` is the admitted identity, whether it is new, and the client's address.
        """
        user, new, address = sender
        try:
            message = IncomingMessage(
                ref=ConversationRef(self.name, user),
                locale=locale,
                locale_chosen=locale is not None,  # the page's language button
                # The page's ids are its own: kept apart per user, so no one reaches another's.
                message_id=None if message_id is None else f"{user}:{message_id}",
                address=address,
                **content,
            )
            replies = await self._inbox.answer(message, PATIENCE)
        except ApiError as exc:
            return self._refuse(request, exc, locale)
        except Exception:  # the page gets a polite answer; the log gets the cause
            log.exception("web chat message failed")
            return self._refuse(request, unavailable(), locale)
        if replies is None:  # kept, and answered as soon as the conversation is free
            language = answer_locale(locale, request.headers.get("Accept-Language"))
            wait = Reply(self._translator(language).gettext(ONE_MOMENT))
            response = await self._answer(
                {"replies": [reply_json(wait)], "pending": True}, user, new
            )
            response.set_status(202)
            return response
        return await self._answer({"replies": [reply_json(r) for r in replies]}, user, new)

    async def _history_page(self, request: web.Request) -> web.Response:
        try:
            if "user" in request.query:
                raise chosen_identity()
            after = parse_after(request.query.get("after"))
        except ApiError as exc:
            return self._refuse(request, exc)
        try:
            user, new = await self._identity(request)
            await self._admit(request, user, Limit.WEB_HISTORY)
            # Nobody has written under an identity made just now.
            entries = [] if new else await self._history.since(user, after, MAX_HISTORY)
            last = entries[-1].seq if entries else after
            return await self._answer(
                {"entries": [entry_json(e) for e in entries], "last": last}, user, new
            )
        except ApiError as exc:
            return self._refuse(request, exc)
        except Exception:  # the page keeps what it shows and polls again later
            log.exception("web chat history failed")
            return self._refuse(request, unavailable())
