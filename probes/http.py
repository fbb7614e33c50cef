"""One HTTP probe run: the call, its retries inside the time budget, and the verdict.

A run ends in exactly one `ProbeOutcome`, whatever happened: retries (for
connection errors and 5xx only, with jittered backoff) happen inside the
probe's `timeout`, so they can never add transactions.

Redirects are not followed unless the probe says `follow_redirects: true`, and
then only within the probe's own origin: a credential is never sent to another
host, and a redirect elsewhere is a failure. Every credential the run sent is
scrubbed from the failure reason (a target may echo it back).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import aiohttp
from yarl import URL

from probes.auth import AuthError, Credentials
from probes.check import body_problem, status_problem
from registry.model import HttpProbe

MAX_ATTEMPTS = 3
DETAIL_LIMIT = 1000  # the contract's limit on `detail`
MAX_REDIRECTS = 10
REDIRECTS = frozenset((301, 302, 303, 307, 308))
SCRUBBED = "***"


@dataclass(frozen=True, slots=True)
class ProbeTarget:
    """A probe ready to run: the obligation's pair, its spec, the URL to call, its credentials."""

    department: str
    system: str
    spec: HttpProbe
    url: str
    credentials: Credentials
    # Prepared once per target, not per run: the pair's key, and the parsed URL at the
    # target's first run (parsing 100,000 at start took most of a second before serving).
    key: str = field(init=False, compare=False, repr=False)
    _parsed_url: URL | None = field(default=None, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", f"{self.department}/{self.system}")

    @property
    def parsed_url(self) -> URL:
        """`url` parsed, once."""
        parsed = self._parsed_url
        if parsed is None:
            parsed = URL(self.url)
            object.__setattr__(self, "_parsed_url", parsed)
        return parsed


@dataclass(frozen=True, slots=True)
class ProbeOutcome:
    """What one run found: success, how long it took, and why it failed."""

    success: bool
    seconds: float
    detail: str | None = None
    attempts: int = 1


class _Retryable(Exception):
    """A 5xx answer or a broken connection: worth another attempt while time remains."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Failed(Exception):
    """A final answer that is not a success (no retry)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def run_probe(
    session: aiohttp.ClientSession,
    target: ProbeTarget,
    clock: Callable[[], float] = time.perf_counter,
    backoff: float = 0.2,
) -> ProbeOutcome:
    """Run one probe to its verdict within `spec.timeout` seconds, retries included."""
    started = clock()
    attempts = 0
    last_reason = "no attempt"
    sent: set[str] = set()  # the credentials sent, scrubbed from the reason
    # One timeout for the whole run; the retry loop is plain code, not a retry
    # object built per run (at 100,000 obligations that construction was 10 % of CPU).
    try:
        async with asyncio.timeout(target.spec.timeout):
            while True:
                attempts += 1
                try:
                    await _call(session, target, sent)
                    break
                except _Retryable as e:
                    last_reason = e.reason
                    if attempts >= MAX_ATTEMPTS:
                        reason = f"{last_reason} ({attempts} attempts)"
                        return _outcome(False, clock() - started, reason, attempts, sent)
                await asyncio.sleep(backoff_delay(attempts, backoff))
    except TimeoutError:
        reason = f"timed out after {target.spec.timeout:g} s"
        if attempts > 1:
            reason += f" ({attempts} attempts; last: {last_reason})"
        return _outcome(False, clock() - started, reason, attempts, sent)
    except _Failed as e:
        return _outcome(False, clock() - started, e.reason, attempts, sent)
    except AuthError as e:
        return _outcome(False, clock() - started, f"authentication: {e}", attempts, sent)
    return _outcome(True, clock() - started, None, attempts, sent)


def backoff_delay(attempt: int, base: float, ceiling: float = 2.0) -> float:
    """Full-jitter exponential backoff after the `attempt`-th try: uniform in [0, base·2^(attempt-1)]."""
    return random.uniform(0, min(ceiling, base * 2 ** (attempt - 1)))


def scrub(text: str, secrets: set[str]) -> str:
    """The text without any of the secrets (longest first, so none is left in part)."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 4:  # a shorter one would garble the text, not hide anything
            text = text.replace(secret, SCRUBBED)
    return text


def _outcome(
    success: bool, seconds: float, detail: str | None, attempts: int, sent: set[str]
) -> ProbeOutcome:
    if detail is not None:
        detail = scrub(detail, sent)
    if detail is not None and len(detail) > DETAIL_LIMIT:
        detail = detail[: DETAIL_LIMIT - 3] + "..."
    return ProbeOutcome(success, seconds, detail, attempts)


async def _call(session: aiohttp.ClientSession, target: ProbeTarget, sent: set[str]) -> None:
    """One attempt; returns on success, raises `_Retryable` or `_Failed` otherwise."""
    status, body = await _exchange(session, target, sent)
    if status == 401 and target.credentials.oauth2 is not None:
        # The cached token may have been revoked early: one fresh token, one more try.
        target.credentials.oauth2.forget()
        status, body = await _exchange(session, target, sent)
    if 500 <= status <= 599 and status not in target.spec.expect_status:
        raise _Retryable(f"HTTP status {status}")
    problem = status_problem(status, target.spec.expect_status) or body_problem(
        body, target.spec.expect_json
    )
    if problem is not None:
        raise _Failed(problem)


async def _exchange(
    session: aiohttp.ClientSession, target: ProbeTarget, sent: set[str]
) -> tuple[int, bytes]:
    spec = target.spec
    credentials = await target.credentials.headers(session)
    headers: Mapping[str, str] = spec.headers
    if credentials:
        for value in credentials.values():
            sent.add(value)
            sent.add(value.partition(" ")[2])  # the token of "Bearer TOKEN"
        headers = {**spec.headers, **credentials}
    url = start = target.parsed_url
    method, data = spec.method, spec.body
    for _ in range(MAX_REDIRECTS + 1):
        status, location, body = await _request(session, method, url, headers, data, spec)
        if location is None:
            return status, body
        try:
            following = url.join(URL(location))
        except ValueError:
            raise _Failed(f"HTTP status {status} with a malformed Location") from None
        if following.origin() != start.origin():
            # Never with the probe's credential, and not without it either: the
            # answer of another host proves nothing about this connection.
            raise _Failed(f"redirected to another origin ({following.origin()}): not followed")
        if status == 303 or (status in (301, 302) and method == "POST"):
            method, data = "GET", None
        url = following
    raise _Failed("too many redirects")


async def _request(
    session: aiohttp.ClientSession,
    method: str,
    url: URL,
    headers: Mapping[str, str],
    data: str | None,
    spec: HttpProbe,
) -> tuple[int, str | None, bytes]:
    """One HTTP exchange: the status, the redirect to follow (if any), the body."""
    try:
        async with session.request(
            method, url, headers=headers, data=data, allow_redirects=False
        ) as answer:
            location = answer.headers.get("Location")
            if spec.follow_redirects and answer.status in REDIRECTS and location is not None:
                return answer.status, location, b""
            return answer.status, None, await _read_body(answer, spec.max_body)
    except aiohttp.ClientPayloadError:
        raise _Failed("truncated body") from None
    except (aiohttp.ServerTimeoutError, aiohttp.ConnectionTimeoutError):
        raise _Failed("connection timed out") from None
    except aiohttp.ServerDisconnectedError:
        raise _Retryable("connection closed by the server") from None
    except aiohttp.ClientConnectorError as e:
        raise _Retryable(
            f"cannot connect: {e.os_error.strerror or type(e.os_error).__name__}"
        ) from None
    except aiohttp.ClientOSError as e:
        raise _Retryable(f"connection error: {e.strerror or type(e).__name__}") from None
    except aiohttp.ClientResponseError as e:
        raise _Failed(f"malformed answer: {e.message}") from None
    except aiohttp.ClientError as e:
        raise _Failed(f"{type(e).__name__}") from None


async def _read_body(answer: aiohttp.ClientResponse, limit: int) -> bytes:
    """The body, up to `limit` bytes; one byte more means it is too large."""
    length = answer.content_length
    if length is not None and length > limit:
        raise _Failed(f"body of {length} bytes is larger than max_body {limit}")
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await answer.content.read(limit + 1 - size)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise _Failed(f"body larger than max_body {limit} bytes")
