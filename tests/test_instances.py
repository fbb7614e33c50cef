"""Several instances on one PostgreSQL: shards split the probes and the series, an HA pair hands over.

Real processes (`lienthong serve`, `lienthong simulate`) on loopback ports,
stopped by the fixtures whatever happens; the HA test kills its leader with
SIGKILL, as a crash would.
"""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from i18n import gettext_in
from lienthong.demo import BAC_NINH_GATEWAY
from probes.shard import Shard
from registry import load_registry
from store import Transaction, open_store, write_transactions
from store.tokens import issue_token
from tests.instances import FrozenLink, Instance, serve, simulator, until
from tests.stores import new_postgres_database

pytestmark = pytest.mark.postgres

BAC_NINH = load_registry("bac-ninh")
# The obligations in force now (those of departments merged away in 2025 are not probed).
CURRENT = BAC_NINH.obligations_between(date(2026, 1, 1), date.max)
PROBED = {o.key for o in CURRENT if o.probe is not None}
# What the instances log, in Vietnamese (the default language).
LOST = gettext_in("vi", "leadership of {role} lost: standing by").format(role="probes 0/1")
LEADING = gettext_in("vi", "leading {role}")
PASS_DONE = gettext_in("vi", "scheduled exports: pass done, next due %s").split("%s")[0]
OVERLOADED = gettext_in(
    "vi",
    "probe engine overloaded ({waiting} runs waiting for a slot, a start {late:.1f} s late):"
    " skipping starts until it catches up (lienthong_probe_starts_skipped_total)",
).split("(")[0]
TOOK_OVER = (
    re.escape(
        gettext_in(
            "vi",
            "leading {role} after another instance: {count} slots of the last {seconds:g} s"
            " had no record and run first",
        )
    )
    .replace(re.escape("{role}"), re.escape("probes 0/1"))
    .replace(re.escape("{count}"), "(?P<count>[0-9]+)")
    .replace(re.escape("{seconds:g}"), "[0-9.]+")
)


def config(
    simulator_url: str,
    shard: str,
    interval: float,
    takeover: float = 30.0,
    exports: Path | None = None,
    max_lateness: float = 30.0,
) -> str:
    exporting = f'dir = "{exports}"' if exports else "enabled = false"
    return f"""
[probes]
interval = {interval}
max_lateness = {max_lateness}
shard = "{shard}"
url_rewrite = {{from = "{BAC_NINH_GATEWAY}", to = "{simulator_url}"}}
[metrics]
totals_refresh = 0.5
[ha]
takeover = {takeover}
[exports]
{exporting}
"""


# One instance over the whole registry, probing nothing: the reference for the shards.
WHOLE = "[probes]\nenabled = false\n[metrics]\ntotals_refresh = 0.5\n"


def probe_slots(database: str) -> dict[tuple[str, str], list[datetime]]:
    """The stored probe records' slots (from their ids), per obligation, in order."""
    engine = create_engine(database)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT department, system, record_id FROM transactions WHERE source = 'probe'")
        ).all()
    engine.dispose()
    found: dict[tuple[str, str], list[datetime]] = {}
    for department, system, record_id in rows:
        prefix, d, s, slot = record_id.split(":")
        assert (prefix, d, s) == ("probe", department, system)
        when = datetime.strptime(slot, "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=UTC)
        found.setdefault((department, system), []).append(when)
    return {pair: sorted(slots) for pair, slots in found.items()}


def gaps(slots: list[datetime]) -> list[float]:
    return [round((b - a).total_seconds(), 3) for a, b in pairwise(slots)]


def push_one(base: str, database: str) -> tuple[int, object]:
    """One record through an instance's push API (a standby serves it as well)."""
    engine = open_store(database)
    token = issue_token(engine, None, "test")
    engine.dispose()
    o = CURRENT[0]
    record = {"department": o.department, "system": o.system, "outcome": "success",
              "ts": datetime.now(UTC).isoformat(timespec="seconds")}  # fmt: skip
    request = urllib.request.Request(
        f"{base}/api/v1/transactions",
        data=json.dumps(record).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status, json.loads(answer.read())


def seed_last_month(database: str) -> None:
    """A record of the month before this one: a first start has an export to write (a period
    the store holds no record of is never exported on schedule, contract 1.2)."""
    o = CURRENT[0]
    first_of_month = datetime.now(UTC).replace(day=1, hour=5, minute=0, second=0, microsecond=0)
    ts = first_of_month - timedelta(days=10)
    engine = open_store(database)
    write_transactions(engine, BAC_NINH.timezone, [Transaction(*o.key, ts, True, "push")])
    engine.dispose()


def exported(folder: Path) -> list[Path]:
    return sorted(folder.glob("*/lienthong-*.json"))


def per_obligation(metrics: dict[tuple[str, tuple[tuple[str, str], ...]], float]) -> set[object]:
    return {key for key in metrics if any(k == "department" for k, _ in key[1])}


def test_two_shards_probe_each_obligation_once_and_split_the_series(
    postgres_url: str, tmp_path: Path
) -> None:
    database = new_postgres_database(postgres_url)
    interval = 4.0
    with (
        simulator(tmp_path) as sim,
        serve(tmp_path, "shard0", database, config(sim, "0/2", interval)) as first,
        serve(tmp_path, "shard1", database, config(sim, "1/2", interval)) as second,
        serve(tmp_path, "whole", database, WHOLE) as whole,
    ):
        until(
            lambda: all(len(probe_slots(database).get(p, [])) >= 3 for p in PROBED),
            60,
            "three slots of every probed obligation",
        )
        until(first.leads, 10, "shard 0 leads")
        until(second.leads, 10, "shard 1 leads")
        # Each instance reads the store's totals every 0.5 s: wait for them to agree.
        until(
            lambda: (
                per_obligation(first.metrics()) | per_obligation(second.metrics())
                == per_obligation(whole.metrics())
            ),
            10,
            "the shards' series to be the whole registry's",
        )
        m0, m1, m_all = first.metrics(), second.metrics(), whole.metrics()

    # Every probed obligation, each slot stored once, slots one interval apart.
    slots = probe_slots(database)
    assert set(slots) == PROBED
    for pair, found in slots.items():
        assert len(set(found)) == len(found), pair
        assert all(g == interval for g in gaps(found)), (pair, gaps(found))

    # Each shard exports its own obligations' series and no other's.
    s0, s1 = per_obligation(m0), per_obligation(m1)
    assert s0 and s1 and not s0 & s1
    for (name, labels), _value in {**m0, **m1}.items():
        if name == "lienthong_successes_today":
            pair = (dict(labels)["department"], dict(labels)["system"])
            owner = m0 if Shard(0, 2).owns(pair) else m1
            assert (name, labels) in owner

    # The union of the shards' series is what one instance shows for the whole registry.
    assert s0 | s1 == per_obligation(m_all)
    for key in s0 | s1:
        if key[0] in ("lienthong_obligation_info", "lienthong_month_required_workdays"):
            assert {**m0, **m1}[key] == m_all[key]
    # Each instance says whether it leads, and which shard.
    assert m0[("lienthong_leader", (("province", "24"), ("shard", "0/2")))] == 1
    assert m1[("lienthong_leader", (("province", "24"), ("shard", "1/2")))] == 1


def healthz(instance: Instance) -> dict[str, Any]:
    with urllib.request.urlopen(f"{instance.url}/healthz", timeout=10) as answer:
        found: dict[str, Any] = json.loads(answer.read())
        return found


def role(instance: Instance) -> str:
    return str(healthz(instance)["role"])


def overload_skips(instance: Instance) -> float:
    key = ("lienthong_probe_starts_skipped_total", (("reason", "overload"),))
    return instance.metrics().get(key, 0.0)


def test_a_standby_takes_over_within_the_bound_when_the_leader_is_killed(
    postgres_url: str, tmp_path: Path
) -> None:
    """kill -9 of the leader: the standby leads within the bound, runs the slots due meanwhile
    (the probes run every second, under the `2T` of 6 s: several per obligation) once each,
    as no overload, and the exports are written once."""
    database = new_postgres_database(postgres_url)
    seed_last_month(database)
    interval, takeover = 1.0, 3.0
    folders = {name: tmp_path / f"exports-{name}" for name in ("first", "second")}
    with simulator(tmp_path) as sim:
        # A start 2 s late is shed as overload: the inherited slots, up to 6 s old, must not be.
        settings = {
            n: config(sim, "0/1", interval, takeover, folders[n], max_lateness=2.0) for n in folders
        }
        with serve(tmp_path, "first", database, settings["first"]) as first:
            until(first.leads, 20, "the first instance leads")
            with serve(tmp_path, "second", database, settings["second"]) as second:
                assert not second.leads()
                assert not per_obligation(second.metrics())  # a standby exports none
                # Each says its role: of its shard's probes, and of the exports.
                until(
                    lambda: (
                        healthz(first)["roles"] == {"probes 0/1": "leader", "exports": "leader"}
                    ),
                    10,
                    "the first instance leads the probes and the exports",
                )
                assert healthz(first)["role"] == "leader"
                assert role(second) == "standby"
                assert healthz(second)["roles"] == {
                    "probes 0/1": "standby",
                    "exports": "standby",
                }
                assert healthz(second)["status"] == "ok"  # a standby is healthy
                assert push_one(second.url, database) == (202, {"accepted": 1, "duplicates": 0})
                until(
                    lambda: all(len(probe_slots(database).get(p, [])) >= 2 for p in PROBED),
                    30,
                    "two slots of every probed obligation",
                )
                # The leader wrote the latest month's exports when it started.
                until(lambda: exported(folders["first"]), 60, "the first instance's exports")
                first.process.kill()  # SIGKILL: no goodbye, the lock goes with the session
                killed = datetime.now(UTC)
                took = until(
                    lambda: role(second) == "leader", 4 * takeover, "the standby leads", step=0.05
                )
                assert took <= takeover
                until(
                    lambda: all(
                        (probe_slots(database)[p][-1] - killed).total_seconds() > 3 * interval
                        for p in PROBED
                    ),
                    30,
                    "every obligation probed by the new leader",
                )
                until(
                    lambda: PASS_DONE in second.log.read_text(),
                    30,
                    "the new leader's exports pass",
                )
                assert healthz(second)["roles"] == {"probes 0/1": "leader", "exports": "leader"}
                # Inherited slots are no overload: nothing shed, nothing said.
                assert overload_skips(second) == 0
                log = second.log.read_text()
                assert OVERLOADED not in log
                taken_over = re.search(TOOK_OVER, log)
                assert taken_over is not None, log
                rerun = int(taken_over["count"])
    # Exports written once: the new leader's folder holds none of the same period.
    assert exported(folders["first"])
    assert not exported(folders["second"])
    slots = probe_slots(database)
    assert set(slots) == PROBED
    for pair, found in slots.items():
        # No slot missing across the handover (those due while no one led were run by
        # the new leader), none stored twice.
        assert all(g == interval for g in gaps(found)), (pair, gaps(found))
    # The slots due while the standby took over (at least the fraction of a second it
    # took, for each obligation) were run again; no more than the window holds.
    assert 0 < rerun <= len(PROBED) * 2 * takeover / interval
    (tmp_path / "takeover.txt").write_text(f"{took:.2f}\n")
    print(f"takeover after kill -9: {took:.2f} s (bound {takeover} s), {rerun} slots run again")


def test_a_leader_that_loses_its_database_session_stands_down(
    postgres_url: str, tmp_path: Path
) -> None:
    """The server ends the leader's session (as after a network cut): it stops leading
    within the bound, and one instance leads again."""
    database = new_postgres_database(postgres_url)
    takeover = 3.0
    with simulator(tmp_path) as sim:
        settings = config(sim, "0/1", 30.0, takeover)
        with serve(tmp_path, "first", database, settings) as first:
            until(first.leads, 20, "the first instance leads")
            with serve(tmp_path, "second", database, settings) as second:
                assert not second.leads()
                admin = create_engine(database, isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    ended = conn.execute(
                        text(
                            "SELECT pg_terminate_backend(pid) FROM pg_locks"
                            " WHERE locktype = 'advisory' AND granted"
                        )
                    ).all()
                admin.dispose()
                assert len(ended) == 1  # the one lock: probes of shard 0/1
                until(
                    lambda: LOST in first.log.read_text(),
                    takeover,
                    "the first instance notices it lost its session",
                    step=0.1,
                )
                until(
                    lambda: first.leads() + second.leads() == 1,
                    takeover,
                    "exactly one instance leads again",
                    step=0.1,
                )


def test_a_leader_cut_off_from_the_database_loses_the_lead_within_the_bound(
    postgres_url: str, tmp_path: Path
) -> None:
    """A network cut between the leader and PostgreSQL that no TCP reset reveals: the
    leader's checks hang, the server ends its silent session, the standby leads."""
    database = new_postgres_database(postgres_url)
    takeover = 3.0
    direct = make_url(database)
    assert direct.host is not None and direct.port is not None
    with simulator(tmp_path) as sim, FrozenLink(direct.host, direct.port) as link:
        cut_off = direct.set(port=link.port).render_as_string(hide_password=False)
        settings = config(sim, "0/1", 30.0, takeover)
        with serve(tmp_path, "first", cut_off, settings) as first:
            until(first.leads, 20, "the first instance leads")
            with serve(tmp_path, "second", database, settings) as second:
                assert not second.leads()
                link.freeze()
                took = until(second.leads, 2 * takeover, "the standby leads", step=0.1)
                assert took <= takeover
                until(
                    lambda: LOST in first.log.read_text(),
                    takeover,
                    "the cut-off leader stands down",
                    step=0.1,
                )
                assert not first.leads()
                first.process.kill()  # its store writes hang on the cut link: no clean stop
    print(f"takeover after a silent network cut: {took:.2f} s (bound {takeover} s)")


def test_a_shards_standby_takes_over_that_shard_only_when_its_owner_is_killed(
    postgres_url: str, tmp_path: Path
) -> None:
    """Shard 0/2 as an HA pair, shard 1/2 alone: kill -9 of shard 0's owner hands shard 0 to
    its standby, slots due meanwhile run once; shard 1 never notices."""
    database = new_postgres_database(postgres_url)
    interval, takeover = 1.0, 3.0
    shard0 = {p for p in PROBED if Shard(0, 2).owns(p)}
    with simulator(tmp_path) as sim:
        zero, one = config(sim, "0/2", interval, takeover), config(sim, "1/2", interval, takeover)
        with (
            serve(tmp_path, "owner", database, zero) as owner,
            serve(tmp_path, "other", database, one) as other,
        ):
            until(owner.leads, 20, "shard 0's owner leads")
            until(other.leads, 20, "shard 1's owner leads")
            with serve(tmp_path, "standby", database, zero) as standby:
                assert role(standby) == "standby"
                until(
                    lambda: all(len(probe_slots(database).get(p, [])) >= 2 for p in PROBED),
                    30,
                    "two slots of every probed obligation",
                )
                owner.process.kill()
                killed = datetime.now(UTC)
                took = until(lambda: role(standby) == "leader", 4 * takeover, "the standby leads")
                assert took <= takeover
                until(
                    lambda: all(
                        (probe_slots(database)[p][-1] - killed).total_seconds() > 3 * interval
                        for p in PROBED
                    ),
                    30,
                    "every obligation probed since",
                )
                # The standby now exports shard 0's series, as its owner did.
                assert {dict(k[1])["department"] for k in per_obligation(standby.metrics())} == {
                    d for d, _s in shard0
                }
                assert role(other) == "leader"
                log = standby.log.read_text()
                taken_over = re.search(TOOK_OVER.replace("0/1", "0/2"), log)
                assert taken_over is not None, log
                assert OVERLOADED not in log
                # Shard 1's owner led once, from its start, and never lost it.
                other_log = other.log.read_text()
                assert other_log.count(LEADING.format(role="probes 1/2")) == 1
                assert LOST.replace("0/1", "1/2") not in other_log
    slots = probe_slots(database)
    assert set(slots) == PROBED
    for pair, found in slots.items():
        assert all(g == interval for g in gaps(found)), (pair, gaps(found))
    assert 0 < int(taken_over["count"]) <= len(shard0) * 2 * takeover / interval
