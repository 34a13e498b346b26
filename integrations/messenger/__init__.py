"""Facebook Messenger channel: the webhook, the Send API client and the adapter joining them."""

from integrations.messenger.adapter import ALLOWED_TAGS, WEBHOOK_PATH, MessageTag, MessengerAdapter
from integrations.messenger.window import WINDOW

__all__ = ["ALLOWED_TAGS", "WEBHOOK_PATH", "WINDOW", "MessageTag", "MessengerAdapter"]
