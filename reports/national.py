"""The ministry's monthly ranking: every province's report side by side.

Pure arithmetic over the provinces' JSON reports (the contract's shape, as
`GET /api/v1/reports/YYYY-MM` answers): each province's compliant share,
provinces × national systems, the departments not compliant, and the
national systems whose outages excused days in every province. Figures are
counted from the provinces' own rows, so they equal what each province filed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from i18n import _

MET = frozenset(("compliant", "connected"))  # a duty fulfilled, whichever its kind
LAPSED = frozenset(("non_compliant", "partial", "not_connected"))


class NationalError(ValueError):
    """A province's report that cannot be ranked (malformed, or a province twice)."""


@dataclass(frozen=True)
class Share:
    """Of `applicable` duties (status not `not_applicable`), `met` were fulfilled."""

    applicable: int = 0
    met: int = 0

    @property
    def ratio(self) -> float | None:
        return round(self.met / self.applicable, 4) if self.applicable else None

    def plus(self, status: str) -> Share:
        if status == "not_applicable":
            return self
        return Share(self.applicable + 1, self.met + (status in MET))


@dataclass(frozen=True)
class ProvinceLine:
    rank: int
    code: str
    name: str
    as_of: str
    share: Share


@dataclass(frozen=True)
class SystemLine:
    code: str
    name: str
    share: Share


@dataclass(frozen=True)
class Lapse:
    province: str
    province_name: str
    department: str
    department_name: str
    system: str
    system_name: str
    status: str
    ratio: float | None


@dataclass(frozen=True)
class ExcusedSystem:
    code: str
    name: str
    provinces: int
    excused_days: int


@dataclass(frozen=True)
class NationalReport:
    month: str
    provinces: tuple[ProvinceLine, ...]  # ranked: best share first
    systems: tuple[SystemLine, ...]  # ranked likewise
    cells: Mapping[tuple[str, str], Share]  # (province code, system code)
    lapses: tuple[Lapse, ...]
    excused_everywhere: tuple[ExcusedSystem, ...]


def _rank_key(share: Share, code: str) -> tuple[float, str]:
    return (-(share.ratio if share.ratio is not None else -1.0), code)


def _field(report: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in report:
        raise NationalError(_("{where}: no {key!r} in the report").format(where=where, key=key))
    return report[key]


def national_report(month: str, reports: Sequence[tuple[str, Mapping[str, Any]]]) -> NationalReport:
    """Rank the provinces' reports of `month`; `reports` pairs each with where it came from."""
    by_province: dict[str, Share] = {}
    names: dict[str, str] = {}
    as_ofs: dict[str, str] = {}
    by_system: dict[str, Share] = {}
    system_names: dict[str, str] = {}
    cells: dict[tuple[str, str], Share] = {}
    excused: dict[str, dict[str, int]] = {}  # system → province → excused days
    lapses: list[Lapse] = []
    for where, report in reports:
        if _field(report, "month", where) != month:
            raise NationalError(
                _("{where}: report of {got}, not {month}").format(
                    where=where, got=report["month"], month=month
                )
            )
        province = _field(report, "province", where)
        code, name = str(province["code"]), str(province["name"])
        if code in by_province:
            raise NationalError(
                _("{where}: province {code} ({name}) is given twice").format(
                    where=where, code=code, name=name
                )
            )
        names[code], as_ofs[code] = name, str(_field(report, "as_of", where))
        by_province[code] = Share()
        for row in _field(report, "rows", where):
            status, system = row["status"], row["system"]
            system_names.setdefault(system, row["system_name"])
            by_province[code] = by_province[code].plus(status)
            by_system[system] = by_system.get(system, Share()).plus(status)
            cells[(code, system)] = cells.get((code, system), Share()).plus(status)
            days = excused.setdefault(system, {})
            days[code] = days.get(code, 0) + int(row.get("excused_days") or 0)
            if status in LAPSED:
                lapses.append(
                    Lapse(
                        code,
                        name,
                        row["department"],
                        row["department_name"],
                        system,
                        row["system_name"],
                        status,
                        row.get("ratio"),
                    )
                )
    ranked = sorted(by_province, key=lambda c: _rank_key(by_province[c], c))
    return NationalReport(
        month=month,
        provinces=tuple(
            ProvinceLine(i + 1, c, names[c], as_ofs[c], by_province[c])
            for i, c in enumerate(ranked)
        ),
        systems=tuple(
            SystemLine(s, system_names[s], by_system[s])
            for s in sorted(by_system, key=lambda s: _rank_key(by_system[s], s))
        ),
        cells=cells,
        lapses=tuple(sorted(lapses, key=lambda x: (x.province, x.department, x.system))),
        excused_everywhere=tuple(
            ExcusedSystem(s, system_names[s], len(days), sum(days.values()))
            for s, days in sorted(excused.items())
            if days and all(n > 0 for n in days.values())
        ),
    )


def as_json(report: NationalReport) -> dict[str, Any]:
    """The ranking for software: codes and numbers, names as the provinces gave them."""

    def share(s: Share) -> dict[str, Any]:
        return {"applicable": s.applicable, "compliant": s.met, "share": s.ratio}

    return {
        "month": report.month,
        "provinces": [
            {"rank": p.rank, "code": p.code, "name": p.name, "as_of": p.as_of, **share(p.share)}
            for p in report.provinces
        ],
        "systems": [{"code": s.code, "name": s.name, **share(s.share)} for s in report.systems],
        "matrix": [
            {"province": p, "system": s, **share(v)} for (p, s), v in sorted(report.cells.items())
        ],
        "non_compliant": [
            {
                "province": x.province,
                "province_name": x.province_name,
                "department": x.department,
                "department_name": x.department_name,
                "system": x.system,
                "system_name": x.system_name,
                "status": x.status,
                "ratio": x.ratio,
            }
            for x in report.lapses
        ],
        "excused_everywhere": [
            {
                "system": e.code,
                "system_name": e.name,
                "provinces": e.provinces,
                "excused_days": e.excused_days,
            }
            for e in report.excused_everywhere
        ],
    }
