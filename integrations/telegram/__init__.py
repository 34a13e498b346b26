"""Telegram: the bot adapter built on python-telegram-bot (polling or webhook)."""

from integrations.telegram.channel import WEBHOOK_PATH, TelegramChannel
from integrations.telegram.convert import CAPABILITIES

__all__ = ["CAPABILITIES", "WEBHOOK_PATH", "TelegramChannel"]
