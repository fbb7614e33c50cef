"""Credentials for probe calls: WSO2-style OAuth2 client credentials, a static bearer, an API key.

An OAuth2 token is fetched once per (token URL, client), cached until shortly
before it expires, shared by every probe that uses the same client, and
dropped when an API answers 401 so the next call fetches a fresh one.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp

from probes.secrets import SecretError, read_secret
from registry.model import ApiKey, BearerToken, OAuth2ClientCredentials

# Refresh this long before the token's own expiry (or a tenth of its life, if shorter).
REFRESH_MARGIN = 60.0


class AuthError(Exception):
    """Credentials could not be obtained; the text never holds a secret."""


@dataclass
class OAuth2Token:
    """One OAuth2 client's token, shared by all the probes that use that client."""

    token_url: str
    spec: OAuth2ClientCredentials
    clock: Callable[[], float]
    access_token: str | None = None
    expires_at: float = 0.0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def bearer(self, session: aiohttp.ClientSession) -> str:
        """A valid access token, fetched only when none is cached or it is about to expire."""
        async with self._lock:
            if self.access_token is None or self.clock() >= self.expires_at:
                await self._fetch(session)
            assert self.access_token is not None
            return self.access_token

    def forget(self) -> None:
        """Drop the cached token (an API refused it): the next call fetches a fresh one."""
        self.access_token = None

    async def _fetch(self, session: aiohttp.ClientSession) -> None:
        spec = self.spec
        try:
            client_id = read_secret(spec.client_id_env, spec.client_id_file, "client_id")
            secret = read_secret(spec.client_secret_env, spec.client_secret_file, "client_secret")
        except SecretError as e:
            raise AuthError(str(e)) from None
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode("ascii")
        form = {"grant_type": "client_credentials"}
        if spec.scope:
            form["scope"] = spec.scope
        started = self.clock()
        try:
            # A redirect is not followed: the client's secret goes to the token URL only.
            async with session.post(
                self.token_url,
                data=form,
                headers={"Authorization": f"Basic {basic}"},
                allow_redirects=False,
            ) as answer:
                if answer.status != 200:
                    raise AuthError(f"token endpoint answered HTTP {answer.status}")
                document = await answer.json(content_type=None)
        except aiohttp.ClientError as e:
            raise AuthError(f"token endpoint: {type(e).__name__}") from None
        except ValueError:
            raise AuthError("token endpoint answered no JSON") from None
        token = document.get("access_token") if isinstance(document, dict) else None
        if not isinstance(token, str) or not token:
            raise AuthError("token endpoint answered no access_token")
        expires_in = document.get("expires_in", 3600)
        life = float(expires_in) if isinstance(expires_in, int | float) else 3600.0
        self.access_token = token
        self.expires_at = started + life - min(REFRESH_MARGIN, life / 10)


@dataclass(frozen=True)
class Credentials:
    """What one probe sends to authenticate: a shared OAuth2 token, or a static header."""

    oauth2: OAuth2Token | None = None
    header: str | None = None
    secret: Callable[[], str] | None = None

    async def headers(self, session: aiohttp.ClientSession) -> dict[str, str]:
        if self.oauth2 is not None:
            return {"Authorization": f"Bearer {await self.oauth2.bearer(session)}"}
        if self.header is not None and self.secret is not None:
            try:
                return {self.header: self.secret()}
            except SecretError as e:
                raise AuthError(str(e)) from None
        return {}


NO_CREDENTIALS = Credentials()


class CredentialStore:
    """Builds each probe's credentials, sharing one token per OAuth2 client."""

    def __init__(self, clock: Callable[[], float], rewrite: Callable[[str], str]) -> None:
        self._clock = clock
        self._rewrite = rewrite
        self._tokens: dict[tuple[str, str, str], OAuth2Token] = {}

    def for_auth(self, auth: OAuth2ClientCredentials | BearerToken | ApiKey | None) -> Credentials:
        if auth is None:
            return NO_CREDENTIALS
        if isinstance(auth, OAuth2ClientCredentials):
            url = self._rewrite(str(auth.token_url))
            client = auth.client_id_env or f"file:{auth.client_id_file}"
            key = (url, client, auth.scope or "")
            token = self._tokens.get(key)
            if token is None:
                token = self._tokens[key] = OAuth2Token(url, auth, self._clock)
            return Credentials(oauth2=token)
        if isinstance(auth, BearerToken):
            bearer = auth

            def read_bearer() -> str:
                return "Bearer " + read_secret(bearer.token_env, bearer.token_file, "token")

            return Credentials(header="Authorization", secret=read_bearer)
        key_spec = auth

        def read_key() -> str:
            return read_secret(key_spec.key_env, key_spec.key_file, "key")

        return Credentials(header=key_spec.header, secret=read_key)


def secret_problems(auth: OAuth2ClientCredentials | BearerToken | ApiKey | None) -> list[str]:
    """Every secret the probe needs that cannot be read now (named, never shown)."""
    wanted: list[tuple[str | None, str | None, str]] = []
    if isinstance(auth, OAuth2ClientCredentials):
        wanted.append((auth.client_id_env, auth.client_id_file, "client_id"))
        wanted.append((auth.client_secret_env, auth.client_secret_file, "client_secret"))
    elif isinstance(auth, BearerToken):
        wanted.append((auth.token_env, auth.token_file, "token"))
    elif isinstance(auth, ApiKey):
        wanted.append((auth.key_env, auth.key_file, "key"))
    problems = []
    for env, file, what in wanted:
        try:
            read_secret(env, file, what)
        except SecretError as e:
            problems.append(str(e))
    return problems
