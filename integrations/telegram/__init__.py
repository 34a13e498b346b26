"""Telegram: the bot adapter built on python-telegram-bot (polling or webhook)."""

from integrations.telegram.channel import WEBHOOK_PATH, TelegramChannel
from integrations.telegram.convert import CAPABILITIES
from integrations.telegram.pacing import TELEGRAM_PACE, BotPace, ChatPace

__all__ = [
    "CAPABILITIES",
    "TELEGRAM_PACE",
    "WEBHOOK_PATH",
    "BotPace",
    "ChatPace",
    "TelegramChannel",
]
