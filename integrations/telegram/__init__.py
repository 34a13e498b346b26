"""Telegram: the bot adapter, on the Bot API over aiohttp (python-telegram-bot only to poll)."""

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
