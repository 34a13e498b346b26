"""Fetching a file a platform's event points to (Zalo, Messenger), never past a limit."""

from __future__ import annotations

import aiohttp

from dialogs.errors import FileTooBig, FileUnavailable
from dialogs.messages import Attachment

CHUNK = 64 * 1024


async def fetch(session: aiohttp.ClientSession | None, attachment: Attachment, limit: int) -> bytes:
    """The bytes at ``attachment.url``.

    Raises ``FileTooBig`` as soon as the platform's announced size, the response's length or
    the bytes read so far pass ``limit`` (the rest is never read), and ``FileUnavailable``
    when the file cannot be fetched.
    """
    if attachment.size is not None and attachment.size > limit:
        raise FileTooBig(f"{attachment.size} bytes announced")
    if session is None or not attachment.url.startswith(("https://", "http://")):
        raise FileUnavailable("no URL to fetch")
    try:
        async with session.get(attachment.url) as response:
            if response.status != 200:
                raise FileUnavailable(f"HTTP {response.status}")
            if response.content_length is not None and response.content_length > limit:
                raise FileTooBig(f"{response.content_length} bytes announced")
            data = bytearray()
            async for chunk in response.content.iter_chunked(CHUNK):
                data += chunk
                if len(data) > limit:
                    raise FileTooBig(f"over {limit} bytes")
            return bytes(data)
    except (aiohttp.ClientError, TimeoutError) as error:
        raise FileUnavailable(type(error).__name__) from None
