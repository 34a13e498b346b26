"""The Zalo Official Account channel: signed webhook in, OA API v3 customer-service messages out."""

from integrations.zalo.channel import CAPABILITIES, WEBHOOK_PATH, WINDOW, ZaloChannel

__all__ = ["CAPABILITIES", "WEBHOOK_PATH", "WINDOW", "ZaloChannel"]
