"""Replies as Messenger ``message`` objects, within the Send API's limits.

Payload buttons become quick replies under a text (at most 13, titles of 20 characters, text
under 2,000 characters). Quick replies cannot open a link, so a reply with URL buttons ends in a
button template (at most 3 buttons, text of 640 characters) holding the links, with its payload
buttons still offered as quick replies; a reply followed by another one keeps up to three
payload buttons in a template too, as quick replies show only under the newest message. Menus
beyond those limits are degraded by :func:`integrations.render.render` to a numbered list the
user answers with a digit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from dialogs.messages import Button, Reply
from dialogs.pages import split_text
from integrations.render import Capabilities, RenderedMessage, render

MAX_TEXT = 1999  # "less than 2000 characters"
MAX_QUICK_REPLIES = 13
MAX_TEMPLATE_TEXT = 640
MAX_TEMPLATE_BUTTONS = 3
MAX_TITLE = 20
MAX_PAYLOAD = 1000

QUICK_REPLY_CAPS = Capabilities(MAX_TEXT, MAX_QUICK_REPLIES, MAX_TITLE, MAX_PAYLOAD, utf16=True)
TEMPLATE_CAPS = Capabilities(MAX_TEXT, MAX_TEMPLATE_BUTTONS, MAX_TITLE, MAX_PAYLOAD, utf16=True)

# Both quick replies and templates need some text; a reply made only of buttons gets this.
_BUTTONS_ONLY_TEXT = "👇"


def to_messages(replies: Sequence[Reply]) -> list[dict[str, Any]]:
    """The ``message`` objects to send, in order, for the dialogs' replies."""
    messages: list[dict[str, Any]] = []
    for position, reply in enumerate(replies):
        links = sum(1 for button in reply.buttons if button.url)
        # Messenger shows quick replies under the newest message only: buttons of an earlier
        # reply (a held reminder before the answer) would vanish, so they go in a template.
        followed = position < len(replies) - 1
        if not links and followed and 0 < len(reply.buttons) <= MAX_TEMPLATE_BUTTONS:
            messages.extend(_as_template(reply, fits=False))
            continue
        if not links:
            messages.extend(_as_text(m) for m in render([reply], QUICK_REPLY_CAPS))
            continue
        fits = links <= MAX_TEMPLATE_BUTTONS and len(reply.buttons) - links <= MAX_QUICK_REPLIES
        messages.extend(_as_template(reply, fits))
    return messages


def _as_text(message: RenderedMessage) -> dict[str, Any]:
    """A text message, with the buttons as quick replies."""
    return _with_quick_replies({"text": message.text or _BUTTONS_ONLY_TEXT}, message.buttons)


def _as_template(reply: Reply, fits: bool) -> list[dict[str, Any]]:
    """Text messages for all but the last 640 characters, then a button template.

    When the buttons fit, the template holds the links and the payload buttons become quick
    replies; otherwise every option is in the numbered list and the template holds the first
    three buttons, whatever their kind.
    """
    caps = replace(TEMPLATE_CAPS, max_buttons=len(reply.buttons)) if fits else TEMPLATE_CAPS
    *leading, last = render([reply], caps)
    chunks = split_text(last.text, MAX_TEMPLATE_TEXT, utf16=True) or [_BUTTONS_ONLY_TEXT]
    in_template: list[Button] = []
    quick: list[Button] = []
    for button in last.buttons:
        (in_template if button.url or not fits else quick).append(button)
    messages: list[dict[str, Any]] = [{"text": m.text} for m in leading]
    messages.extend({"text": chunk} for chunk in chunks[:-1])
    template = {
        "type": "template",
        "payload": {
            "template_type": "button",
            "text": chunks[-1],
            "buttons": [_template_button(b) for b in in_template],
        },
    }
    messages.append(_with_quick_replies({"attachment": template}, quick))
    return messages


def _with_quick_replies(message: dict[str, Any], buttons: Sequence[Button]) -> dict[str, Any]:
    """The message with ``buttons`` offered as quick replies (any message type may carry them)."""
    if buttons:
        message["quick_replies"] = [
            {"content_type": "text", "title": b.label, "payload": b.payload or b.label}
            for b in buttons
        ]
    return message


def _template_button(button: Button) -> dict[str, str]:
    """A ``web_url`` button for links, a ``postback`` button otherwise."""
    if button.url:
        return {"type": "web_url", "url": button.url, "title": button.label}
    return {"type": "postback", "title": button.label, "payload": button.payload or button.label}
