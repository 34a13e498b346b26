"""The built-in web chat: a page any phone can open, with no account and no token."""

from integrations.webchat.channel import WebChat
from integrations.webchat.history import Entry, History
from integrations.webchat.identity import Identities

__all__ = ["Entry", "History", "Identities", "WebChat"]
