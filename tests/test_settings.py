"""Pool, rate, retry and interval settings: from the environment, refused at start-up when out
of range."""

from __future__ import annotations

import pytest

from bot.config import Settings


def test_pool_sizes_have_defaults_and_follow_the_environment() -> None:
    default = Settings.from_env({})
    assert (default.redis_max_connections, default.db_pool_size, default.db_max_overflow) == (
        50,
        10,
        20,
    )
    tuned = Settings.from_env(
        {"MOTCUA_REDIS_MAX_CONNECTIONS": "400", "MOTCUA_DB_POOL_TIMEOUT": "2.5"}
    )
    assert tuned.redis_max_connections == 400
    assert tuned.db_pool_timeout == 2.5


def _intervals(settings: Settings) -> tuple[float, float, float, float]:
    return (
        settings.inbox_poll_seconds,
        settings.announcement_poll_seconds,
        settings.chat_news_seconds,
        settings.redis_retry_seconds,
    )


def test_look_again_intervals_have_defaults_and_follow_the_environment() -> None:
    assert _intervals(Settings.from_env({})) == (1, 2, 2, 2)
    tuned = Settings.from_env(
        {
            "MOTCUA_INBOX_POLL_SECONDS": "0.5",
            "MOTCUA_ANNOUNCEMENT_POLL_SECONDS": "10",
            "MOTCUA_CHAT_NEWS_SECONDS": "0.25",
            "MOTCUA_REDIS_RETRY_SECONDS": "30",
        }
    )
    assert _intervals(tuned) == (0.5, 10, 0.25, 30)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MOTCUA_REDIS_MAX_CONNECTIONS", "0"),
        ("MOTCUA_REDIS_MAX_CONNECTIONS", "many"),
        ("MOTCUA_DB_POOL_SIZE", "-1"),
        ("MOTCUA_DB_POOL_TIMEOUT", "nan"),
        ("MOTCUA_ZALO_RETRY_SECONDS", "0"),
        ("MOTCUA_MESSENGER_RETRY_SECONDS", "120"),
        ("MOTCUA_INBOX_POLL_SECONDS", "0"),
        ("MOTCUA_ANNOUNCEMENT_POLL_SECONDS", "soon"),
        ("MOTCUA_CHAT_NEWS_SECONDS", "-1"),
        ("MOTCUA_REDIS_RETRY_SECONDS", "7200"),
    ],
)
def test_a_setting_out_of_range_stops_start_up_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        Settings.from_env({name: value})
