"""Pool, rate and retry settings: from the environment, refused at start-up when out of range."""

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


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MOTCUA_REDIS_MAX_CONNECTIONS", "0"),
        ("MOTCUA_REDIS_MAX_CONNECTIONS", "many"),
        ("MOTCUA_DB_POOL_SIZE", "-1"),
        ("MOTCUA_DB_POOL_TIMEOUT", "nan"),
        ("MOTCUA_ZALO_RETRY_SECONDS", "0"),
        ("MOTCUA_MESSENGER_RETRY_SECONDS", "120"),
    ],
)
def test_a_setting_out_of_range_stops_start_up_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        Settings.from_env({name: value})
