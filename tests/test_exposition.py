"""The /metrics text kept up to date piece by piece reads exactly as one rendered afresh."""

from __future__ import annotations

import gzip
from dataclasses import replace
from datetime import UTC, datetime

from compliance.month_to_date import month_to_date
from exporter.metrics import Exposition, GzipCache
from exporter.state import MetricsState
from registry import Registry
from store.records import Transaction
from store.writer import WriteResult

# Wednesday 2026-10-14, 10:00 in Hà Nội.
NOW = datetime(2026, 10, 14, 3, 0, tzinfo=UTC)


def calendared(registry: Registry) -> MetricsState:
    """A state at NOW with every obligation's month figures (nothing stored)."""
    state = MetricsState(registry, clock=NOW.timestamp)
    state.absorb_calendar(
        {o.key: month_to_date(registry, o, state.today, {}) for o in registry.obligations}
    )
    return state


def fresh(state: MetricsState) -> bytes:
    return Exposition(state, lambda: None).render_bytes()


def test_a_changed_obligation_is_rendered_again_and_nothing_else_moves(
    bac_ninh: Registry,
) -> None:
    state = calendared(bac_ninh)
    kept = Exposition(state, lambda: None)
    first = kept.render_bytes()
    assert first == fresh(state)

    state.on_probe(("so-taichinh", "csdl-dkdn"), 0.3)
    success = Transaction("so-tuphap", "ho-tich", NOW, True, "push")
    state.on_written(
        [success], WriteResult(1, 0, added={("so-tuphap", "ho-tich", "push", True): 1})
    )
    second = kept.render_bytes()
    assert second == fresh(state)
    text = second.decode()
    # Durations per national system by default (11 series, not 11 per obligation), …
    assert (
        'lienthong_probe_duration_seconds_bucket{province="24",system="csdl-dkdn",le="0.5"} 1\n'
        in text
    )
    assert 'lienthong_probe_duration_seconds_bucket{province="24",department=' not in text
    # … per obligation when asked (the contract's first form).
    asked = MetricsState(bac_ninh, clock=NOW.timestamp, durations_per_obligation=True)
    asked.on_probe(("so-taichinh", "csdl-dkdn"), 0.3)
    per_obligation = Exposition(asked, lambda: None, durations_per_obligation=True).render()
    assert (
        'lienthong_probe_duration_seconds_bucket{province="24",department="so-taichinh",'
        'system="csdl-dkdn",le="0.5"} 1\n' in per_obligation
    )
    # A success today meets today's required day: a month figure moves with it.
    assert (
        'lienthong_month_met_workdays{province="24",department="so-tuphap",system="ho-tich"} 1\n'
        in text
    )
    assert second != first

    # A calendar refresh that finds the same figures changes nothing, …
    figures = dict(state.calendar)
    state.absorb_calendar(dict(figures))
    assert not state.calendar_changed
    assert kept.render_bytes() == second
    # … one that finds a pair's figures changed (a late import of a missed day)
    # re-renders that pair's month lines, static ones included.
    pair = ("so-taichinh", "csdl-dkdn")
    figures[pair] = replace(figures[pair], missed_streak=figures[pair].missed_streak + 1)
    state.absorb_calendar(figures)
    assert state.calendar_changed == {pair}
    third = kept.render_bytes()
    assert third == fresh(state)
    assert (
        'lienthong_missed_required_workdays{province="24",department="so-taichinh",'
        f'system="csdl-dkdn"}} {figures[pair].missed_streak}\n' in third.decode()
    )

    # No figures at all: every pair's month lines go.
    state.absorb_calendar({})
    assert kept.render_bytes() == fresh(state)


def test_changed_obligations_are_rendered_a_share_at_a_time(bac_ninh: Registry) -> None:
    # /metrics re-renders the changed obligations in turns of the event loop: each
    # turn does at most its budget, and the text is whole only once all are done.
    state = MetricsState(bac_ninh, clock=NOW.timestamp)
    kept = Exposition(state, lambda: None)
    kept.render_bytes()
    pairs = [o.key for o in bac_ninh.obligations if o.probe is not None][:3]
    for pair in pairs:
        state.on_written(
            [Transaction(*pair, NOW, True, "probe")],
            WriteResult(1, 0, added={(*pair, "probe", True): 1}),
        )
    assert [kept.catch_up(1) for _ in pairs] == [False, False, True]
    assert kept.render_bytes() == fresh(state)


def test_a_change_during_the_first_render_is_in_the_text(bac_ninh: Registry) -> None:
    # The first texts are made in registry order, in turns: an obligation that changes
    # meanwhile is rendered again if its text was made already, else made of now.
    state = calendared(bac_ninh)
    kept = Exposition(state, lambda: None)
    assert not kept.catch_up(3)
    current = kept.obligations()
    for o in (current[1], current[-1]):  # one with a text, one without yet
        state.on_written(
            [Transaction(*o.key, NOW, True, "push")],
            WriteResult(1, 0, added={(*o.key, "push", True): 1}),
        )
    while not kept.catch_up(3):
        pass
    assert kept.render_bytes() == fresh(state)


def test_the_compressed_blocks_kept_between_scrapes_are_the_text_of_now(
    bac_ninh: Registry,
) -> None:
    # A block's compressed form is reused while its text has not changed: a changed
    # obligation, after the first text of every one, must make its blocks compressed again.
    state = calendared(bac_ninh)
    kept, cache = Exposition(state, lambda: None), GzipCache()

    def scrape() -> bytes:
        return gzip.decompress(b"".join(cache.compress(kept.keyed_parts())))

    assert scrape() == fresh(state)
    success = Transaction("so-tuphap", "ho-tich", NOW, True, "push")
    state.on_written(
        [success], WriteResult(1, 0, added={("so-tuphap", "ho-tich", "push", True): 1})
    )
    assert scrape() == fresh(state)


def test_a_day_met_moves_the_month_lines_and_later_successes_only_the_counts(
    bac_ninh: Registry,
) -> None:
    state = calendared(bac_ninh)
    kept = Exposition(state, lambda: None)
    kept.render_bytes()
    pair = ("so-tuphap", "ho-tich")
    met = 'lienthong_month_met_workdays{province="24",department="so-tuphap",system="ho-tich"}'
    today = 'lienthong_successes_today{province="24",department="so-tuphap",system="ho-tich"}'
    texts = []
    for n in (1, 2):
        state.on_written(
            [Transaction(*pair, NOW, True, "push", None, str(n))],
            WriteResult(1, 0, added={(*pair, "push", True): 1}),
        )
        texts.append(kept.render_bytes().decode())
        assert texts[-1] == fresh(state).decode()
    # The first success met the day; the second moved only today's count.
    assert f"{met} 1\n" in texts[0] and f"{met} 1\n" in texts[1]
    assert f"{today} 1\n" in texts[0] and f"{today} 2\n" in texts[1]


def test_a_healthy_probed_obligation_to_maintain_has_ten_series(bac_ninh: Registry) -> None:
    # The budget: at most 10 series per obligation by default. A probed
    # obligation to maintain with no missed streak has exactly these.
    state = calendared(bac_ninh)
    pair = ("so-taichinh", "csdl-dkdn")
    state.on_probe(pair, 0.3)
    success = Transaction(*pair, NOW, True, "probe")
    state.on_written([success], WriteResult(1, 0, added={(*pair, "probe", True): 1}))
    text = fresh(state).decode()
    own = f'department="{pair[0]}",system="{pair[1]}"'
    series = [line.rsplit(" ", 1)[0] for line in text.splitlines() if own in line]
    assert len(series) == 10
    assert sorted({s.split("{")[0] for s in series}) == [
        "lienthong_compliance_ratio",
        "lienthong_last_success_timestamp_seconds",
        "lienthong_month_met_workdays",
        "lienthong_month_missable_required_workdays",
        "lienthong_month_remaining_required_workdays",
        "lienthong_month_required_workdays",
        "lienthong_obligation_info",
        "lienthong_successes_today",
        "lienthong_transactions_total",  # success and failure
    ]
    # A streak of missed days adds its gauge, only while it lasts.
    figures = state.calendar[pair]
    state.absorb_calendar({**state.calendar, pair: replace(figures, missed_streak=2)})
    assert f'lienthong_missed_required_workdays{{province="24",{own}}} 2\n' in fresh(state).decode()
