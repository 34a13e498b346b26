"""The OA access token, refreshed before it expires and kept durably as Zalo rotates it.

Zalo's refresh token is single-use: every refresh returns a new pair and kills the old refresh
token. A rotated pair that lived only in memory would be lost by a restart and the OA would
need re-authorising by hand, so each new pair is written to the secret store before it is used,
and refreshes are serialised, within a worker and across workers (under the secret store's
lock), so two callers never spend the same refresh token.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import aiohttp

from dialogs.errors import ConfigurationError, TemporaryFailure
from dialogs.ports import Clock, SecretStore

log = logging.getLogger(__name__)

REFRESH_PATH = "/v4/oa/access_token"


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        """An aware UTC datetime."""
        return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class TokenPair:
    """An access token, the refresh token that replaces it, and when the access token expires.

    ``seed`` is the configured refresh token the chain of rotations started from: when an
    operator configures a new one (after re-authorising the OA), the stored chain is stale.
    """

    access_token: str
    refresh_token: str
    expires_at: float | None  # epoch seconds; None when unknown (the configured token)
    seed: str


class ZaloTokens:
    """Hands out a valid access token, refreshing it with the refresh token when needed."""

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession,
        oauth_url: str,
        app_id: str,
        app_secret: str,
        access_token: str,
        refresh_token: str,
        secrets: SecretStore,
        clock: Clock,
        refresh_margin: float = 600.0,
    ) -> None:
        self._session = session
        self._url = oauth_url.rstrip("/") + REFRESH_PATH
        self._app_id = app_id
        self._app_secret = app_secret
        self._configured = TokenPair(access_token, refresh_token, None, refresh_token)
        self._secrets = secrets
        self._clock = clock
        self._margin = refresh_margin
        self._key = f"zalo:{app_id}:tokens"
        self._pair: TokenPair | None = None
        self._lock = asyncio.Lock()

    async def access_token(self) -> str:
        """A usable access token; refreshed first when it expires within the margin."""
        pair = await self._current()
        if pair.expires_at is not None and pair.expires_at - self._now() <= self._margin:
            pair = await self.refresh(stale=pair.access_token)
        if not pair.access_token:
            pair = await self.refresh(stale="")
        return pair.access_token

    async def refresh(self, stale: str) -> TokenPair:
        """Replace the access token ``stale`` (unless someone already has) and store the pair."""
        # The in-process lock queues this worker's callers; the store's lock queues the workers,
        # so one refresh token is never spent twice (Zalo would revoke the loser's chain).
        async with self._lock, self._secrets.exclusive(self._key):
            # Re-read the store: another caller, or another worker process, may have refreshed.
            pair = await self._current(reload=True)
            if pair.access_token != stale:
                return pair
            new = await self._request(pair)
            await self._secrets.set(self._key, json.dumps(asdict(new)))
            self._pair = new
            log.info("zalo access token refreshed")
            return new

    async def _current(self, *, reload: bool = False) -> TokenPair:
        """The pair in use: the stored chain, unless the configured seed has changed."""
        if self._pair is None or reload:
            raw = await self._secrets.get(self._key)
            stored = TokenPair(**json.loads(raw)) if raw else None
            if stored is not None and stored.seed == self._configured.seed:
                self._pair = stored
            else:
                self._pair = self._configured
        return self._pair

    async def _request(self, pair: TokenPair) -> TokenPair:
        """Spend ``pair``'s refresh token on a new pair."""
        if not pair.refresh_token:
            raise ConfigurationError("Zalo access token expired and no refresh token configured")
        form = {
            "refresh_token": pair.refresh_token,
            "app_id": self._app_id,
            "grant_type": "refresh_token",
        }
        try:
            async with self._session.post(
                self._url, data=form, headers={"secret_key": self._app_secret}
            ) as response:
                if response.status >= 500:
                    raise TemporaryFailure(f"Zalo OAuth answered HTTP {response.status}")
                data = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, json.JSONDecodeError) as exc:
            raise TemporaryFailure(f"Zalo OAuth unreachable: {type(exc).__name__}") from exc
        if not isinstance(data, dict):
            raise TemporaryFailure("Zalo OAuth answered something that is not a JSON object")
        access, refresh = data.get("access_token"), data.get("refresh_token")
        if not (isinstance(access, str) and access and isinstance(refresh, str) and refresh):
            # The refresh token was refused: only re-authorising the OA can fix this.
            raise ConfigurationError(
                f"Zalo OAuth refused the refresh token: {data.get('error')} "
                f"{data.get('error_name', '')}".strip()
            )
        expires_in = str(data.get("expires_in", ""))
        expires_at = self._now() + int(expires_in) if expires_in.isdigit() else None
        return TokenPair(access, refresh, expires_at, pair.seed)

    def _now(self) -> float:
        return self._clock.now().timestamp()
