"""Storage fixtures (defined in ``storage.databases``, shared with other test modules)."""

from storage.databases import (  # noqa: F401
    clock,
    database,
    database_url,
    redis,
    redis_prefix,
)
