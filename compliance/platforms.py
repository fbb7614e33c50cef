"""Which platforms carried a duty's counted successes, and where it stands with the platform
the law requires (Nghị định 278/2025/NĐ-CP: NDOP by 2026-12-31).

Pure: the platforms' rollup rows, the registry and a day in, the row's `platforms` (contract
1.2) and the requirement's standing out. Shown beside the figures; it changes none of them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from i18n import Lang, gettext_in
from registry import Obligation, Registry
from registry.model import PlatformRequirement
from store.counts import PlatformDay


def counted_by_platform(
    registry: Registry,
    obligation: Obligation,
    first: date,
    last: date,
    days: Iterable[PlatformDay],
) -> tuple[tuple[str, int], ...]:
    """Successes per platform that count for the obligation on days in [first, last]: from
    the sources its evidence counts, on days in force (the rules of `successes`)."""
    evidence = registry.evidence_for(obligation)
    since, until = registry.window(obligation)
    found: Counter[str] = Counter()
    for d in days:
        if (
            d.source in evidence
            and first <= d.day <= last
            and (since is None or since <= d.day)
            and (until is None or d.day < until)
        ):
            found[d.platform] += d.successes
    return tuple(sorted((p, n) for p, n in found.items() if n > 0))


def joined(platforms: Iterable[str]) -> str:
    """The contract's `platforms` cell: sorted, joined by ';', empty when none said."""
    return ";".join(sorted(platforms))


@dataclass(frozen=True)
class RequiredPlatform:
    """The platform a duty's exchanges must go through, by when, and the days left."""

    platform: str
    deadline: date
    basis: str
    days_left: int  # from the day it is looked at to the deadline; 0 once passed


def required_platform(
    registry: Registry, obligation: Obligation, day: date
) -> RequiredPlatform | None:
    """The requirement binding the duty on `day` (None: none yet, or none at all)."""
    r = registry.platform_requirement(obligation, day)
    if r is None:
        return None
    return RequiredPlatform(r.platform, r.deadline, r.basis, max(0, (r.deadline - day).days))


class Through(StrEnum):
    """How a duty's counted successes stand with the platform required of it."""

    ALL = "all"  # every counted success went through it
    PARTLY = "partly"  # some did
    OTHERS = "others"  # the successes named other platforms only
    UNSAID = "unsaid"  # no success named its platform
    NO_SUCCESSES = "no_successes"


def through(required: str, successes: int, by_platform: Sequence[tuple[str, int]]) -> Through:
    """Where `successes` (the row's counted successes) stand with the `required` platform."""
    if successes == 0:
        return Through.NO_SUCCESSES
    carried = dict(by_platform)
    n = carried.get(required, 0)
    if n >= successes:
        return Through.ALL
    if n > 0:
        return Through.PARTLY
    return Through.OTHERS if carried else Through.UNSAID


# Person-read names of the platforms (codes stay ASCII in JSON and CSV).
PLATFORM_NAMES = {
    "lgsp": "LGSP",
    "ndxp": "NDXP",
    "ndop": "NDOP",
    "vdxp": "VDXP",
    "other": "other",
}


def platform_names(platforms: Iterable[str], lang: Lang) -> str:
    """The platforms as a person reads them, e.g. "LGSP, NDOP"; a dash when none said."""
    names = [
        gettext_in(lang, "other platform") if p == "other" else PLATFORM_NAMES.get(p, p)
        for p in sorted(platforms)
    ]
    return ", ".join(names) if names else "—"


def standing_text(
    required: RequiredPlatform,
    successes: int,
    by_platform: Sequence[tuple[str, int]],
    lang: Lang,
) -> str:
    """One line a person reads: whether the successes go through the required platform, and
    how many days remain to its deadline."""
    state = through(required.platform, successes, by_platform)
    name = PLATFORM_NAMES.get(required.platform, required.platform)
    carried = dict(by_platform).get(required.platform, 0)
    if state == Through.ALL:
        head = gettext_in(lang, "all successes through {platform}")
    elif state == Through.PARTLY:
        head = gettext_in(lang, "{carried} of {successes} successes through {platform}")
    elif state == Through.OTHERS:
        head = gettext_in(lang, "no success through {platform} yet")
    elif state == Through.UNSAID:
        head = gettext_in(lang, "platform not reported by the records")
    else:
        head = gettext_in(lang, "no successes")
    deadline = required.deadline.strftime("%d/%m/%Y")
    if required.days_left > 0:
        tail = gettext_in(lang, "{days} days left to {deadline}")
    else:
        tail = gettext_in(lang, "deadline {deadline} reached")
    return (
        head.format(platform=name, carried=carried, successes=successes)
        + "; "
        + tail.format(days=required.days_left, deadline=deadline)
    )


def duty_line(
    platforms: Sequence[str],
    required: RequiredPlatform | None,
    successes: int,
    by_platform: Sequence[tuple[str, int]],
    lang: Lang,
) -> str:
    """A duty's platforms and its standing with the required one, on one line (empty: none
    said and none required)."""
    parts = []
    if platforms or required is not None:
        parts.append(
            gettext_in(lang, "Platforms: {platforms}").format(
                platforms=platform_names(platforms, lang)
            )
        )
    if required is not None:
        parts.append(
            gettext_in(lang, "required through {platform}: {standing}").format(
                platform=PLATFORM_NAMES.get(required.platform, required.platform),
                standing=standing_text(required, successes, by_platform, lang),
            )
        )
    return " · ".join(parts)


def requirements_line(requirements: Iterable[PlatformRequirement], lang: Lang) -> str:
    """The requirements in force in a period, with their basis, for a report's method section."""
    return "; ".join(
        gettext_in(lang, "{platform} from {since}, complete by {deadline}: {basis}").format(
            platform=PLATFORM_NAMES.get(r.platform, r.platform),
            since=r.since.strftime("%d/%m/%Y"),
            deadline=r.deadline.strftime("%d/%m/%Y"),
            basis=r.basis,
        )
        for r in requirements
    )
