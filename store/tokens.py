"""Push-API tokens: issued at random, shown once, stored only as a SHA-256 hash.

A token is `lt_` and 43 URL-safe characters (32 random bytes). A hash without
salt is enough for secrets of that entropy, and lets a request's token be
found by an index look-up. The first characters (`lt_` + 8) are kept in
clear so that an operator can tell tokens apart in `tokens list` and revoke
one by its prefix; they are not enough to use it.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, insert, select, update

from i18n import _
from store.schema import push_tokens

TOKEN_PREFIX = "lt_"
# What a token may do: `push` records (and explanations) through the push API, or
# `explain`: sign in to its department's page and file explanations, nothing else.
PUSH, EXPLAIN, READ = "push", "explain", "read"
SCOPES = (PUSH, EXPLAIN, READ)  # read: reads the monthly reports, pushes nothing
SHOWN_CHARS = len(TOKEN_PREFIX) + 8


class TokenError(Exception):
    """A token that cannot be revoked as asked (unknown, ambiguous)."""


@dataclass(frozen=True, slots=True)
class PushToken:
    """What is known of a token without its secret."""

    id: int
    prefix: str
    department: str | None  # None: every department
    label: str | None
    created: datetime
    revoked: datetime | None
    scope: str = "push"

    @property
    def who(self) -> str:
        return self.department if self.department is not None else "all departments"

    def allows(self, department: str) -> bool:
        return self.department is None or self.department == department


def token_hash(token: str) -> str:
    # A header with stray bytes still hashes (to no token) instead of failing.
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def _now_us() -> int:
    return int(time.time() * 1_000_000)


def _at(us: int | None) -> datetime | None:
    return None if us is None else datetime.fromtimestamp(us / 1_000_000, UTC)


def _token(row: object) -> PushToken:
    r = row._mapping  # type: ignore[attr-defined]
    created = _at(r["created_us"])
    assert created is not None
    return PushToken(
        id=r["id"],
        prefix=r["prefix"],
        department=r["department"],
        label=r["label"],
        created=created,
        revoked=_at(r["revoked_us"]),
        scope=r["scope"],
    )


def issue_token(
    engine: Engine, department: str | None, label: str | None = None, scope: str = "push"
) -> str:
    """A new token for one department (None: all departments); returns the token itself."""
    if scope not in SCOPES:
        raise TokenError(
            _("unknown token scope {scope!r}: one of {scopes}").format(
                scope=scope, scopes=", ".join(SCOPES)
            )
        )
    if scope == READ and department is not None:
        raise TokenError(_("a read token reads the province's reports: give no --department"))
    if scope == "explain" and department is None:
        raise TokenError(_("an explain token is for one department: give --department"))
    token = new_token()
    with engine.begin() as conn:
        conn.execute(
            insert(push_tokens).values(
                prefix=token[:SHOWN_CHARS],
                sha256=token_hash(token),
                department=department,
                label=label,
                created_us=_now_us(),
                scope=scope,
            )
        )
    return token


def list_tokens(engine: Engine) -> list[PushToken]:
    """Every token ever issued, oldest first (revoked ones too)."""
    with engine.connect() as conn:
        rows = conn.execute(select(push_tokens).order_by(push_tokens.c.id)).all()
    return [_token(r) for r in rows]


def active_tokens(conn: Connection) -> dict[str, PushToken]:
    """The tokens not revoked, by hash (what the push API authenticates against: a token of
    another scope than push is then refused with 403, not taken for an unknown one)."""
    c = push_tokens.c
    rows = conn.execute(select(push_tokens).where(c.revoked_us.is_(None))).all()
    return {r.sha256: _token(r) for r in rows}


def find_token(engine: Engine, token: str, scope: str | None = None) -> PushToken | None:
    """The active token with this secret (and, given one, this scope), if any."""
    with engine.connect() as conn:
        row = conn.execute(
            select(push_tokens).where(
                push_tokens.c.sha256 == token_hash(token),
                push_tokens.c.revoked_us.is_(None),
                *([] if scope is None else [push_tokens.c.scope == scope]),
            )
        ).first()
    return None if row is None else _token(row)


def revoke_token(engine: Engine, which: str) -> PushToken:
    """Revoke a token given whole or by the prefix `tokens list` shows."""
    c = push_tokens.c
    where = c.sha256 == token_hash(which) if len(which) > SHOWN_CHARS else c.prefix == which
    with engine.begin() as conn:
        rows = conn.execute(select(push_tokens).where(where)).all()
        if not rows:
            raise TokenError(
                _("no token {token}: see `lienthong tokens list`").format(token=_shown(which))
            )
        if len(rows) > 1:
            raise TokenError(
                _("{n} tokens start with {prefix}: give the whole token").format(
                    n=len(rows), prefix=which
                )
            )
        found = _token(rows[0])
        if found.revoked is not None:
            raise TokenError(
                _("token {prefix}… was already revoked on {day}").format(
                    prefix=found.prefix, day=f"{found.revoked:%Y-%m-%d}"
                )
            )
        conn.execute(update(push_tokens).where(c.id == found.id).values(revoked_us=_now_us()))
    return found


def _shown(which: str) -> str:
    # A mistyped whole token is still a secret: never echo more than its prefix.
    return which if len(which) <= SHOWN_CHARS else which[:SHOWN_CHARS] + "…"
