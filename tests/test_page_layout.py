"""What an officer sees in real headless Chromium (the system's, nothing downloaded): the
overview fits a 1280 px office laptop with its worst rows first and the national systems by
their short names, a phone without sideways scroll; a day not yet over is never "không đạt";
an explanation is sent POST-redirect-GET with day-first dates; wrong addresses and methods
answer in Vietnamese; the sign-in page says whom to ask for a code; English on request."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from playwright.async_api import Page
from sqlalchemy import Engine

from exporter.app import create_app
from exporter.web import WEB, parse_day
from i18n import use_lang
from probes.breaker import CircuitState
from probes.health import LastResult, SystemHealth
from probes.http import ProbeOutcome
from registry import Registry, load_registry
from store import open_store, write_transactions
from store.excusals import excusals_between
from store.records import Transaction
from store.tokens import issue_token
from tests.harness import serving
from tests.test_status_pages import ARTIFACTS, chromium, options
from tests.test_status_words import Health

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
TODAY = date(2026, 12, 2)  # a Wednesday
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=TZ).timestamp()
# The longest failure the probes write: what makes a row tall.
LONG = "timed out after 10 s (3 attempts; last: connection closed by the server)"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Engine]:
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    yield engine
    engine.dispose()


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 12, day, hour, 0, tzinfo=TZ)


def worst_case(registry: Registry, store: Engine) -> Health:
    """Every duty in force with a long failure today; every second one met yesterday, every
    third one met today; every probed duty's probe failing, one system's circuit open."""
    records, results, circuits = [], {}, {}
    duties = [o for o in registry.obligations if registry.in_force_on(o, TODAY)]
    for i, o in enumerate(duties):
        d, s = o.department, o.system
        records.append(Transaction(d, s, at(2, 9), False, "push", record_id=f"f{i}", detail=LONG))
        if i % 2:
            records.append(Transaction(d, s, at(1, 9), True, "push", record_id=f"y{i}"))
        if i % 3 == 0:
            records.append(Transaction(d, s, at(2, 8), True, "push", record_id=f"t{i}"))
        if o.probe is not None:
            failed = ProbeOutcome(False, 10.0, LONG, 3)
            results[o.key] = LastResult(datetime(2026, 12, 2, 2, 55, tzinfo=UTC), failed)
            circuits.setdefault(o.system, SystemHealth(0, CircuitState.OPEN, NOW + 600))
    write_transactions(store, registry.timezone, records)
    return Health(results, circuits)


async def measure(page: Page) -> tuple[int, float]:
    """The page's width and its tallest row of the table."""
    width = await page.evaluate("document.scrollingElement.scrollWidth")
    tallest = await page.evaluate(
        "Math.max(...[...document.querySelectorAll('tbody tr')]"
        ".map(r => r.getBoundingClientRect().height))"
    )
    return int(width), float(tallest)


@pytest.mark.parametrize("name", ["bac-ninh", "hue"])
async def test_the_overview_fits_a_laptop_worst_first_and_a_phone(name: str, store: Engine) -> None:
    registry = load_registry(name)
    health = worst_case(registry, store)
    app = create_app(registry, store, options=options(), clock=lambda: NOW)
    app[WEB].health = lambda: health
    ARTIFACTS.mkdir(exist_ok=True)
    async with serving(app) as url, chromium() as browser:
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await page.goto(url + "/")
        await page.screenshot(path=str(ARTIFACTS / f"overview-1280-{name}.png"), full_page=True)
        width, tallest = await measure(page)
        assert width <= 1280, width
        assert tallest <= 160, tallest
        # A national system by its short name, the full name on hover.
        cell = page.locator("tr", has_text="csdl-dkdn").locator("td.sys abbr").first
        assert await cell.inner_text() == "CSDL ĐKDN"
        full = registry.system("csdl-dkdn").name
        assert await cell.get_attribute("title") == full
        # Worst first, and the page says what "worst" means.
        body = await page.locator("body").inner_text()
        assert "Xếp theo mức cần chú ý" in body
        states = await page.locator("tbody tr td:nth-child(3) .badge:first-child").evaluate_all(
            "bs => bs.map(b => b.className.replace('badge t-', ''))"
        )
        failing = [s == "failing" for s in states if s in ("failing", "met")]
        assert failing == sorted(failing, reverse=True) and failing[0]
        assert "met" in states  # both kinds are there: the order is tested, not assumed

        # The system's page (its duty on a department's page) gives the full name.
        owner = next(
            o.department
            for o in registry.obligations
            if o.system == "csdl-dkdn" and registry.in_force_on(o, TODAY)
        )
        await page.goto(f"{url}/don-vi/{owner}")
        assert any(full in h for h in await page.locator("section.duty h2").all_inner_texts())

        phone = await browser.new_page(viewport={"width": 400, "height": 860})
        await phone.goto(url + "/")
        await phone.screenshot(path=str(ARTIFACTS / f"overview-400-{name}.png"), full_page=True)
        overflow = await phone.evaluate(
            "document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"
        )
        assert overflow <= 0


async def day_text(page: Page, url: str, day: str) -> str:
    answer = await page.goto(f"{url}/don-vi/so-taichinh/csdl-dkdn/{day}")
    assert answer is not None and answer.status == 200
    return await page.locator("body").inner_text()


async def test_a_day_not_yet_over_is_never_missed(store: Engine) -> None:
    hue = load_registry("hue")
    # Yesterday met, today one failure so far at 10:00.
    write_transactions(
        store,
        hue.timezone,
        [
            Transaction("so-taichinh", "csdl-dkdn", at(1, 9), True, "push", record_id="a"),
            Transaction("so-taichinh", "csdl-dkdn", at(2, 9), False, "push", detail=LONG),
        ],
    )
    app = create_app(hue, store, options=options(), clock=lambda: NOW)
    async with serving(app) as url, chromium() as browser:
        page = await browser.new_page()
        today = await day_text(page, url, "2026-12-02")
        assert "Hôm nay, chưa có giao dịch" in today
        assert "Ngày chưa kết thúc: đến lúc này 0/1 giao dịch thành công" in today
        assert "1 giao dịch lỗi" in today
        tomorrow = await day_text(page, url, "2026-12-03")
        assert "Chưa đến" in tomorrow and "Ngày này chưa đến" in tomorrow
        for text in (today, tomorrow):
            assert "không đạt" not in text.lower()
        # Before lienthong held any record of the duty: said so, never "không đạt".
        before = await day_text(page, url, "2026-11-30")
        assert "Trước khi lienthong có số liệu" in before
        assert "chưa có bản ghi nào của nhiệm vụ này trước ngày 01/12/2026" in before
        assert "không đạt" not in before.lower()
        # Once today is over (the next morning), the same day is missed, as it was.
        app[WEB].clock = lambda: NOW + 86_400
        over = await day_text(page, url, "2026-12-02")
        assert "Ngày không đạt: 0/1 giao dịch thành công" in over
        # The month strip names today and tomorrow the same way on hover.
        page = await browser.new_page()
        app[WEB].clock = lambda: NOW
        await page.goto(url + "/don-vi/so-taichinh")
        strip = page.locator("section.duty", has_text="csdl-dkdn").locator(".strip span")
        titles = await strip.evaluate_all("s => s.map(x => x.title)")
        assert "02/12/2026: Hôm nay, chưa có giao dịch" in titles
        assert "03/12/2026: Chưa đến" in titles


async def sign_in(page: Page, url: str, token: str) -> None:
    await page.goto(url + "/dang-nhap")
    await page.fill("#token", token)
    await page.click("button[type=submit]")


async def test_an_explanation_is_post_redirect_get_with_day_first_dates(store: Engine) -> None:
    hue = load_registry("hue")
    explain = issue_token(store, "so-taichinh", "chị Lan", scope="explain")
    app = create_app(hue, store, options=options(), clock=lambda: NOW)
    async with serving(app) as url, chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, url, explain)
        first = page.locator("#first_day")
        assert await first.get_attribute("type") == "text"
        assert await first.get_attribute("placeholder") == "02/12/2026"
        await page.select_option("#system", "csdl-dkdn")
        await first.fill("01/12/2026")
        await page.fill("#last_day", "1/12/2026")
        await page.fill("#reason", "Mất điện toàn trụ sở")
        async with page.expect_navigation():
            await page.click("form.explain button[type=submit]")
        # The browser is on a GET page that says what happened; F5 sends nothing again.
        assert page.url == url + "/don-vi/so-taichinh?da-gui=1"
        text = await page.locator(".message").inner_text()
        assert text == "Đã gửi giải trình số 1: chờ Sở Khoa học và Công nghệ duyệt."
        await page.reload()
        assert "Đã gửi giải trình số 1" in await page.locator("body").inner_text()
        with store.connect() as conn:
            (e,) = excusals_between(conn)
        assert (e.first_day, e.last_day) == (date(2026, 12, 1), date(2026, 12, 1))

        # A month-first date is refused with a sentence, the form kept as sent.
        await first.fill("12/31/2026")
        await page.fill("#last_day", "31/12/2026")
        await page.fill("#reason", "Lý do thứ hai")
        await page.click("form.explain button[type=submit]")
        assert "Ngày bắt đầu không hợp lệ" in await page.locator(".message.error").inner_text()
        assert await page.locator("#reason").input_value() == "Lý do thứ hai"
        with store.connect() as conn:
            assert len(excusals_between(conn)) == 1
        # The form's address opened again: the department's page, not an error.
        answer = await page.goto(url + "/don-vi/so-taichinh/giai-trinh")
        assert answer is not None and answer.status == 200
        assert page.url.startswith(url + "/don-vi/so-taichinh")
        # Another department's number in the address says nothing.
        await page.goto(url + "/don-vi/so-noivu?da-gui=1")
        assert await page.locator(".message").count() == 0


def test_a_day_is_read_day_first() -> None:
    assert parse_day("01/12/2026") == date(2026, 12, 1)
    assert parse_day(" 1/2/2026 ") == date(2026, 2, 1)
    assert parse_day("2026-12-01") == date(2026, 12, 1)  # what older forms sent
    for wrong in ("12/31/2026", "31/02/2026", "hôm qua", ""):
        with pytest.raises(ValueError):
            parse_day(wrong)


async def test_wrong_addresses_and_methods_answer_in_vietnamese(store: Engine) -> None:
    hue = load_registry("hue")
    app = create_app(hue, store, options=options(), clock=lambda: NOW)
    async with serving(app) as url, chromium() as browser:
        page = await browser.new_page()
        answer = await page.goto(url + "/khong-co-trang-nay")
        assert answer is not None and answer.status == 404
        assert await page.locator("html").get_attribute("lang") == "vi"
        assert "Không tìm thấy trang" in await page.locator("h1").inner_text()
        answer = await page.goto(url + "/don-vi/khong-co")
        assert answer is not None and answer.status == 404
        assert "Không có đơn vị mã khong-co." in await page.locator("body").inner_text()
        answer = await page.goto(url + "/dang-xuat")  # a form's address: POST only
        assert answer is not None and answer.status == 405
        assert "Không được phép" in await page.locator("h1").inner_text()
        assert "lỗi 405" in await page.locator("body").inner_text()
        assert "Method Not Allowed" not in await page.content()
    # Programs keep their answers: the API's errors stay JSON.
    async with serving(app) as url, aiohttp.ClientSession() as client:
        async with client.put(url + "/api/v1/status") as answer:
            assert answer.status == 405 and answer.content_type == "application/json"
        async with client.post(url + "/dang-xuat", data={}) as answer:
            assert answer.status == 403  # the sign-out form without its CSRF token


async def test_the_sign_in_page_says_whom_to_ask_for_a_code(store: Engine) -> None:
    bac_ninh = load_registry("bac-ninh")
    app = create_app(bac_ninh, store, options=options(), clock=lambda: NOW)
    async with serving(app) as url, chromium() as browser:
        page = await browser.new_page()
        await page.goto(url + "/dang-nhap")
        text = await page.locator("body").inner_text()
        assert "Mã do Sở Khoa học và Công nghệ cấp cho đơn vị." in text
        assert "Phòng Công nghệ thông tin, Sở Khoa học và Công nghệ" in text
        link = page.locator('a[href="mailto:cntt@so-khcn.bacninh.example"]')
        assert await link.count() == 1
        assert "lienthong" not in text and "--scope" not in text


async def test_the_pages_speak_english_when_the_service_does(store: Engine) -> None:
    hue = load_registry("hue")
    with use_lang("en"):
        app = create_app(hue, store, options=options(), clock=lambda: NOW)
    async with serving(app) as url, chromium() as browser:
        page = await browser.new_page()
        await page.goto(url + "/")
        assert await page.locator("html").get_attribute("lang") == "en"
        text = await page.locator("body").inner_text()
        assert "Connections to the national systems — Huế" in text
        assert "Worst first" in text and "No transaction yet" in text
        assert "Đơn vị" not in text and "Chưa có giao dịch" not in text
        answer = await page.goto(url + "/khong-co")
        assert answer is not None and answer.status == 404
        assert await page.locator("h1").inner_text() == "Page not found"
