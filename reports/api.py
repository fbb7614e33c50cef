"""`GET /api/v1/reports/YYYY-MM`: the month's report as the contract's JSON, for a read token.

The ministry's `lienthong national report` fetches every province's month this
way the day after it ends. A read token (`lienthong tokens issue --read-reports`)
may read and never push; push tokens may not read here.
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from sqlalchemy import Engine

from compliance.periods import Month, PeriodError, parse_day
from compliance.report import build_report
from registry import Registry
from reports.tabular import report_json
from store.tokens import READ, find_token

PATH = "/api/v1/reports/{month}"


def add_reports_api(app: web.Application, registry: Registry, store: Engine) -> None:
    """Mount the reports endpoint on the service's app (one line in the composition root)."""

    async def monthly_report(request: web.Request) -> web.Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return _error(401, "a read token is required: Authorization: Bearer TOKEN")
        if await asyncio.to_thread(find_token, store, token.strip(), READ) is None:
            return _error(401, "unknown or revoked read token")
        try:
            month = Month.parse(request.match_info["month"])
            as_of_text = request.query.get("as_of")
            as_of = parse_day(as_of_text) if as_of_text else None
        except (PeriodError, ValueError) as e:
            return _error(400, str(e))
        report = await asyncio.to_thread(build_report, store, registry, month, as_of)
        body = report_json(report)
        return web.Response(text=body, content_type="application/json", charset="utf-8")

    app.router.add_get(PATH, monthly_report)


def _error(status: int, message: str) -> web.Response:
    headers = {"WWW-Authenticate": 'Bearer realm="lienthong-reports"'} if status == 401 else None
    return web.json_response({"error": message}, status=status, headers=headers)
