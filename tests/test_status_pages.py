"""The people's pages in real headless Chromium (Playwright driving the system's Chromium,
nothing downloaded): the overview following pushed records of a registry without probes,
a department's sign-in and explanation, another department's page and form refused, CSRF,
the phone layout; and the JSON status API beside them."""

from __future__ import annotations

import logging
import re
import ssl
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiohttp import web
from playwright.async_api import Browser, async_playwright
from sqlalchemy import Engine

from exporter.app import ExcusalOptions, MetricsOptions, ServiceOptions, create_app
from exporter.web import WEB, WebOptions
from exporter.words import percent
from lienthong.server import bound_socket, url_of
from registry import Registry, load_registry
from store import open_store, write_transactions
from store.excusals import ExcusalState, excusals_between
from store.tokens import issue_token
from tests.harness import serving
from tests.stores import tx

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=TZ).timestamp()  # a Wednesday, 10:00 in Huế
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def hue() -> Registry:
    return load_registry("hue")


@pytest.fixture
def store(tmp_path: Path) -> AsyncIterator[Engine]:
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    yield engine  # type: ignore[misc]
    engine.dispose()


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


def options(require_login: bool = False) -> ServiceOptions:
    return ServiceOptions(
        probes_enabled=False,
        excusals=ExcusalOptions(detect=False),
        metrics=MetricsOptions(totals_refresh=0.2),
        web=WebOptions(require_login=require_login),
    )


async def push(url: str, token: str, records: list[dict[str, Any]]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        aiohttp.ClientSession() as client,
        client.post(url + "/api/v1/transactions", json=records, headers=headers) as answer,
    ):
        assert answer.status == 202, await answer.text()


def record(n: int, outcome: str, detail: str | None = None) -> dict[str, Any]:
    r: dict[str, Any] = {
        "department": "so-taichinh",
        "system": "csdl-dkdn",
        "ts": f"2026-12-02T09:{n:02d}:00+07:00",
        "outcome": outcome,
        "id": f"r{n}",
    }
    if detail is not None:
        r["detail"] = detail
    return r


async def test_overview_of_push_only_duties_follows_the_records(
    hue: Registry, store: Engine
) -> None:
    assert all(o.probe is None for o in hue.obligations)
    token = issue_token(store, "so-taichinh", "phần mềm một cửa")
    app = create_app(hue, store, options=options(), clock=lambda: NOW)
    async with serving(app) as url, chromium() as browser:
        page = await browser.new_page()
        await page.goto(url + "/")
        row = page.locator("tr", has_text="so-taichinh").filter(has_text="csdl-dkdn")
        assert "Chưa có giao dịch" in await row.inner_text()

        await push(url, token, [record(1, "failure", "HTTP status 503 (3 attempts)")])
        await page.reload()
        text = await row.inner_text()
        assert "Đang lỗi" in text
        assert "Máy chủ trả mã HTTP 503 (sau 3 lần thử)" in text
        assert "09:01:00 02/12/2026" in text  # the failure's local time, Vietnamese order

        await push(url, token, [record(2, "success")])
        await page.reload()
        text = await row.inner_text()
        assert "Đạt hôm nay" in text and "09:02:00 02/12/2026" in text
        # 1 December had no record at all (lienthong was not watching yet: not held against
        # the department in the live figures), today has a success: 1 of 1, the Vietnamese way.
        (duty,) = hue.obligations_for("so-taichinh", "csdl-dkdn")
        assert f"100,0 % / {percent(duty.target_ratio)}" in text
        assert percent(duty.target_ratio).endswith(",0 %")
        other = page.locator("tr", has_text="so-noivu").filter(has_text="csdl-cbccvc")
        assert "Chưa có giao dịch" in await other.inner_text()

        # A day of the strip: why it is in its state, with its records and their reasons.
        # 1 December is before lienthong held any record of the duty: the page says so.
        await page.goto(url + "/don-vi/so-taichinh")
        await page.click('.strip a[href="/don-vi/so-taichinh/csdl-dkdn/2026-12-01"]')
        text = await page.locator("body").inner_text()
        assert "Không có bản ghi nào: 0/1 giao dịch thành công từ các nguồn được tính" in text
        assert "trước ngày 02/12/2026 (ngày có bản ghi đầu tiên)" in text
        await page.goto(url + "/don-vi/so-taichinh/csdl-dkdn/2026-12-02")
        text = await page.locator("body").inner_text()
        assert "Ngày đạt: 1/1 giao dịch thành công" in text
        assert "Máy chủ trả mã HTTP 503 (sau 3 lần thử)" in text and "09:01:00 02/12/2026" in text
        await page.goto(url + "/")

        # Another writer (an import, a gateway log) goes straight to the store: the page
        # reads it once its cache is older than cache_seconds (0 here, 2 s by default).
        app[WEB].cache_seconds = 0
        write_transactions(
            store,
            hue.timezone,
            [tx("so-noivu", "csdl-cbccvc", "2026-12-02T08:30:00+07:00", source="import")],
        )
        await page.reload()
        assert "Đạt hôm nay" in await other.inner_text()
        assert await page.locator('a[href="/metrics"]').count() == 0
        assert await page.locator('a[href="/don-vi/so-taichinh"]').count() >= 1


async def test_sign_in_file_an_explanation_and_nothing_for_another_department(
    hue: Registry, store: Engine
) -> None:
    explain = issue_token(store, "so-taichinh", "chị Lan, CNTT", scope="explain")
    pusher = issue_token(store, "so-taichinh")
    app = create_app(hue, store, options=options(), clock=lambda: NOW)
    async with serving(app) as url, chromium() as browser:
        context = await browser.new_context()
        page = await context.new_page()
        await page.goto(url + "/don-vi/so-taichinh")
        assert await page.locator("form.explain").count() == 0

        # A push token is a machine's credential: it does not sign a person in.
        await page.goto(url + "/dang-nhap")
        await page.fill("#token", pusher)
        await page.click("button[type=submit]")
        assert "Mã đăng nhập không đúng" in await page.content()

        await page.fill("#token", explain)
        await page.click("button[type=submit]")
        assert page.url == url + "/don-vi/so-taichinh"
        cookie = next(c for c in await context.cookies() if c["name"] == "lienthong_phien")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert explain not in page.url and explain not in cookie["value"]

        await page.select_option("#system", "csdl-dkdn")
        await page.fill("#first_day", "01/12/2026")
        await page.fill("#last_day", "01/12/2026")
        await page.fill("#reason", "Mất điện toàn trụ sở, máy chủ của Sở ngừng hoạt động")
        await page.click("form.explain button[type=submit]")
        body = await page.locator("body").inner_text()
        assert "Đã gửi giải trình số 1" in body
        assert "Chờ duyệt" in body and "Mất điện toàn trụ sở" in body

        with store.connect() as conn:
            (e,) = excusals_between(conn)
        assert (e.department, e.system, e.state, e.origin) == (
            "so-taichinh",
            "csdl-dkdn",
            ExcusalState.PROPOSED,
            "api",
        )
        assert e.proposed_by == f"so-taichinh (explain token {explain[:11]}…, chị Lan, CNTT)"

        csrf = await page.locator("form.explain input[name=csrf]").get_attribute("value")
        assert csrf
        # Another department's page: its figures, never its form.
        await page.goto(url + "/don-vi/so-noivu")
        assert await page.locator("form.explain").count() == 0
        assert "đơn vị khác" in await page.content()
        # Posting for it anyway, with a valid session and CSRF token: 403.
        form = {
            "csrf": csrf,
            "system": "csdl-cbccvc",
            "first_day": "2026-12-01",
            "last_day": "2026-12-01",
            "reason": "thử",
        }
        answer = await page.request.post(url + "/don-vi/so-noivu/giai-trinh", form=form)
        assert answer.status == 403
        # A forged form (no CSRF token) for its own department: refused too.
        forged = {k: v for k, v in form.items() if k != "csrf"} | {"system": "csdl-dkdn"}
        answer = await page.request.post(url + "/don-vi/so-taichinh/giai-trinh", form=forged)
        assert answer.status == 403
        forged["csrf"] = "0" * 64
        answer = await page.request.post(url + "/don-vi/so-taichinh/giai-trinh", form=forged)
        assert answer.status == 403
        with store.connect() as conn:
            assert len(excusals_between(conn)) == 1
        await context.close()
        # A person's explain token pushes no records.
        headers = {"Authorization": f"Bearer {explain}"}
        async with (
            aiohttp.ClientSession() as client,
            client.post(
                url + "/api/v1/transactions", json=[record(1, "success")], headers=headers
            ) as answer,
        ):
            assert answer.status == 403


async def test_phone_layout_has_no_sideways_scroll(hue: Registry, store: Engine) -> None:
    token = issue_token(store, "so-taichinh")
    app = create_app(hue, store, options=options(), clock=lambda: NOW)
    ARTIFACTS.mkdir(exist_ok=True)
    async with serving(app) as url, chromium() as browser:
        await push(
            url,
            token,
            [record(1, "failure", "timed out after 10 s (3 attempts; last: HTTP status 502)")],
        )
        page = await browser.new_page(viewport={"width": 400, "height": 860})
        for path, name in (
            ("/", "status-phone.png"),
            ("/don-vi/so-taichinh", "department-phone.png"),
        ):
            await page.goto(url + path)
            await page.screenshot(path=str(ARTIFACTS / name), full_page=True)
            overflow = await page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, (path, overflow)
            size = await page.evaluate("getComputedStyle(document.body).fontSize")
            assert float(size.removesuffix("px")) >= 14
        text = await page.locator("body").inner_text()
        assert (
            "Quá thời gian chờ 10 giây (sau 3 lần thử; lần cuối: Máy chủ trả mã HTTP 502)" in text
        )
        assert (ARTIFACTS / "department-phone.png").stat().st_size > 10_000


async def test_status_api_and_require_login(hue: Registry, store: Engine) -> None:
    token = issue_token(store, "so-taichinh")
    app = create_app(hue, store, options=options(require_login=True), clock=lambda: NOW)
    async with serving(app) as url, aiohttp.ClientSession() as client:
        async with client.get(url + "/api/v1/status") as answer:
            assert answer.status == 401
        async with client.get(url + "/", allow_redirects=False) as answer:
            assert answer.status == 303 and answer.headers["Location"] == "/dang-nhap"
        await push(url, token, [record(1, "failure", "HTTP status 503 (3 attempts)")])
        headers = {"Authorization": f"Bearer {token}"}
        async with client.get(url + "/api/v1/status/so-taichinh", headers=headers) as answer:
            assert answer.status == 200
            body = await answer.json()
        (duty,) = [o for o in body["obligations"] if o["system"] == "csdl-dkdn"]
        assert duty["today"] == "failing" and duty["failures_today"] == 1
        assert duty["last_failure"]["reason_code"] == "retried"
        assert duty["last_failure"]["reason"] == "Máy chủ trả mã HTTP 503 (sau 3 lần thử)"
        assert duty["probe"] == "passive"
        assert body["days"]["csdl-dkdn"][0] == {"day": "2026-12-01", "state": "missed"}
        assert body["days"]["csdl-dkdn"][1] == {"day": "2026-12-02", "state": "open"}
        # Days to come: a working day is still to come, a Saturday is not required.
        assert body["days"]["csdl-dkdn"][2] == {"day": "2026-12-03", "state": "after_as_of"}
        assert body["days"]["csdl-dkdn"][4] == {"day": "2026-12-05", "state": "not_required"}
        async with client.get(url + "/api/v1/status/khong-co", headers=headers) as answer:
            assert answer.status == 404
        # The pages need signing in too; a day of a pair that owes nothing is a 404.
        day = url + "/don-vi/so-taichinh/ho-tich/2026-12-01"
        async with client.get(day, allow_redirects=False) as answer:
            assert answer.status == 303
        async with client.get(url + "/api/v1/openapi.json") as answer:
            document = await answer.json()
        assert {"/api/v1/status", "/api/v1/status/{code}"} <= set(document["paths"])
        # The document's schema holds what the API answers (Schemathesis checks it too).
        status_keys = set(document["components"]["schemas"]["ObligationStatus"]["properties"])
        assert set(duty) == status_keys
        async with client.get(url + "/api/v1/status", headers=headers) as answer:
            everything = await answer.json()
        assert len(everything["obligations"]) == len(
            [
                o
                for o in hue.obligations
                if hue.in_force_on(o, datetime.fromtimestamp(NOW, TZ).date())
            ]
        )


async def test_sign_in_attempts_are_rate_limited(hue: Registry, store: Engine) -> None:
    app = create_app(hue, store, options=options(), clock=lambda: NOW)
    async with serving(app) as url, aiohttp.ClientSession() as client:
        statuses = []
        for _ in range(7):
            async with client.post(url + "/dang-nhap", data={"token": "lt_sai"}) as answer:
                statuses.append(answer.status)
        assert statuses[:5] == [403] * 5  # no CSRF token: refused, but counted
        assert statuses[5:] == [429, 429]


async def test_over_tls_the_session_cookie_is_secure_and_no_token_is_logged(
    hue: Registry, store: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    explain = issue_token(store, "so-taichinh", scope="explain")
    app = create_app(hue, store, options=options(), clock=lambda: NOW)
    sock = bound_socket("127.0.0.1", 0)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.SockSite(runner, sock, ssl_context=context).start()
    url = url_of(sock).replace("http://", "https://")
    caplog.set_level(logging.DEBUG)
    try:
        jar = aiohttp.CookieJar(unsafe=True)  # cookies of an IP address too
        connector = aiohttp.TCPConnector(ssl=False)
        async with aiohttp.ClientSession(connector=connector, cookie_jar=jar) as client:
            async with client.get(url + "/dang-nhap") as answer:
                page = await answer.text()
            (csrf,) = re.findall(r'name="csrf" value="([0-9a-f]+)"', page)
            form = {"csrf": csrf, "token": explain}
            async with client.post(url + "/dang-nhap", data=form, allow_redirects=False) as answer:
                assert answer.status == 303
                cookie = answer.headers["Set-Cookie"]
        attributes = {a.strip().split("=")[0].lower() for a in cookie.split(";")}
        assert {"secure", "httponly", "samesite"} <= attributes and "SameSite=Strict" in cookie
        assert explain not in cookie
    finally:
        await runner.cleanup()
    assert "signed in for so-taichinh" in caplog.text
    assert explain not in caplog.text and explain[11:] not in caplog.text


async def test_a_day_of_no_duty_is_not_found(hue: Registry, store: Engine) -> None:
    app = create_app(hue, store, options=options(), clock=lambda: NOW)
    async with serving(app) as url, aiohttp.ClientSession() as client:
        for path in ("so-taichinh/ho-tich/2026-12-01", "khong-co/csdl-dkdn/2026-12-01"):
            async with client.get(f"{url}/don-vi/{path}") as answer:
                assert answer.status == 404
        async with client.get(f"{url}/don-vi/so-taichinh/csdl-dkdn/2026-02-30") as answer:
            assert answer.status == 404
        async with client.get(f"{url}/don-vi/so-taichinh/csdl-dkdn/2026-11-28") as answer:
            assert answer.status == 200
            assert "Không yêu cầu: ngày nghỉ cuối tuần." in await answer.text()


async def signin_text(app: web.Application) -> str:
    async with (
        serving(app) as url,
        aiohttp.ClientSession() as client,
        client.get(url + "/dang-nhap") as answer,
    ):
        return await answer.text()


async def test_the_pages_name_the_standing_department_of_the_registry(
    hue: Registry, store: Engine
) -> None:
    # Who issues the tokens and approves the explanations is the registry's standing
    # department in force (Sở Khoa học và Công nghệ in Huế since 2025-03-01); before it,
    # Sở Thông tin và Truyền thông; a registry that names none says so.
    before = datetime(2025, 2, 3, 10, 0, tzinfo=TZ).timestamp()
    nameless = hue.model_copy(update={"standings": ()})
    for registry, clock, said in (
        (hue, NOW, "Mã do Sở Khoa học và Công nghệ cấp cho đơn vị"),
        (hue, before, "Mã do Sở Thông tin và Truyền thông cấp"),
        (nameless, NOW, "Mã do cơ quan thường trực cấp"),
    ):
        app = create_app(registry, store, options=options(), clock=lambda c=clock: c)
        assert said in await signin_text(app)


async def test_the_strip_holds_no_day_before_the_first_record_against_the_department(
    hue: Registry, store: Engine
) -> None:
    """1 December, before lienthong held any record of the duty, is not "missed" on the
    department's page (the status API keeps the contract's code)."""
    token = issue_token(store, "so-taichinh")
    app = create_app(hue, store, options=options(), clock=lambda: NOW)
    async with serving(app) as url, aiohttp.ClientSession() as client:
        await push(url, token, [record(1, "failure", "HTTP status 503 (3 attempts)")])
        async with client.get(url + "/don-vi/so-taichinh") as answer:
            page = await answer.text()
    first = '<a href="/don-vi/so-taichinh/csdl-dkdn/2026-12-01">1</a>'
    (box,) = [s for s in page.split("<span ")[1:] if first in s]
    assert box.startswith('class="d-before_records"'), box
    assert "Trước khi lienthong có số liệu" in box
