"""Upload the dashboards to a running Grafana through its HTTP API (grafana-client).

Idempotent: the folder is created once; a dashboard is posted only when Grafana's copy
differs from ours (or is missing), with `overwrite: true` so our uid always wins. The
token is sent as a Bearer header and never appears in messages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import niquests
from grafana_client.api import GrafanaApi
from grafana_client.client import (
    GrafanaClientError,
    GrafanaException,
    GrafanaServerError,
    GrafanaTimeoutError,
    GrafanaUnauthorizedError,
)

from dashboards import grafana, provisioning
from i18n import _
from i18n.numbers import duration
from registry import Registry

MESSAGE = "lienthong dashboards push"
# Fields Grafana adds or manages itself: not ours to compare.
VOLATILE = ("id", "version")


class PushError(Exception):
    """Grafana could not be reached or refused us (one line, no secret)."""


@dataclass
class PushResult:
    folder_created: bool = False
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def public_url(url: str) -> str:
    """The URL without credentials, fit for a message."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _comparable(board: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in board.items() if k not in VOLATILE}


Connect = Callable[[str, str, float], Any]


def _connect(url: str, token: str, timeout: float) -> Any:
    factory: Any = GrafanaApi.from_url  # grafana-client's functions carry no annotations
    return factory(url=url, credential=token, timeout=timeout)


def push(
    url: str,
    token: str,
    registry: Registry,
    timeout: float = 10.0,
    connect: Connect = _connect,
) -> PushResult:
    """Create the folder if needed and upsert every dashboard; raise PushError on refusal."""
    where = public_url(url)
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        raise PushError(
            _("--url {url!r}: give an http:// or https:// Grafana URL").format(url=where or url)
        )
    api = connect(url, token, timeout)
    try:
        return _push(api, registry)
    except GrafanaUnauthorizedError:
        raise PushError(
            _("Grafana at {url} refused the token (401 Unauthorized): check the token").format(
                url=where
            )
        ) from None
    except GrafanaClientError as e:
        if e.status_code == 403:
            raise PushError(
                _(
                    "Grafana at {url} refused the token for this (403 Forbidden): the token"
                    " needs the Editor role on dashboards and folders"
                ).format(url=where)
            ) from None
        raise PushError(
            _("Grafana at {url} answered {status}: {message}").format(
                url=where, status=e.status_code, message=_message(e)
            )
        ) from None
    except GrafanaServerError as e:
        raise PushError(
            _("Grafana at {url} failed ({status}): {message}").format(
                url=where, status=e.status_code, message=_message(e)
            )
        ) from None
    except GrafanaTimeoutError:
        raise PushError(
            _("Grafana at {url} did not answer within {duration}").format(
                url=where, duration=duration(timeout)
            )
        ) from None
    except (GrafanaException, niquests.exceptions.RequestException) as e:
        raise PushError(
            _("cannot reach Grafana at {url}: {reason}").format(url=where, reason=_reason(e))
        ) from None


def _message(e: GrafanaException) -> str:
    """Grafana's own words (its answer's `message`), quoted as it wrote them."""
    response = e.response
    if isinstance(response, dict) and isinstance(response.get("message"), str):
        return str(response["message"])
    return str(e.message).splitlines()[0] if e.message else _("no reason given")


def _reason(e: Exception) -> str:
    text = str(e)
    if "Connection refused" in text or "ConnectionRefused" in text:
        return _("connection refused")
    if "Name or service not known" in text or "NameResolution" in text:
        return _("unknown host")
    if "timed out" in text.lower():
        return _("timed out")
    return type(e).__name__


def _push(api: Any, registry: Registry) -> PushResult:
    result = PushResult()
    uid = provisioning.FOLDER_UID
    title = provisioning.folder_title(registry)
    try:
        folder = api.folder.get_folder(uid)
    except GrafanaClientError as e:
        if e.status_code != 404:
            raise
        api.folder.create_folder(title, uid=uid)
        result.folder_created = True
    else:
        if isinstance(folder, dict) and folder.get("title") != title:
            api.folder.update_folder(uid, title=title, overwrite=True)
    for board in grafana.dashboards(registry):
        try:
            found = api.dashboard.get_dashboard(board["uid"])
        except GrafanaClientError as e:
            if e.status_code != 404:
                raise
            found = None
        if found is not None:
            theirs = found.get("dashboard", {})
            folder_uid = found.get("meta", {}).get("folderUid")
            if folder_uid == uid and _comparable(theirs) == _comparable(board):
                result.unchanged.append(board["uid"])
                continue
        api.dashboard.update_dashboard(
            {"dashboard": board, "folderUid": uid, "overwrite": True, "message": MESSAGE}
        )
        (result.updated if found is not None else result.created).append(board["uid"])
    return result
