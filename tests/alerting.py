"""A registry for alerting tests: the bundled Bắc Ninh one with webhooks, a national
system two departments share, and a department nobody named a contact for."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from registry import Obligation, Registry, load_registry

BUNDLED = Path(__file__).resolve().parent.parent / "registry" / "bundled"
SHARED_SYSTEM = "so-suc-khoe-dien-tu"  # Sở Y tế and Bảo hiểm xã hội khu vực both owe it
NO_CONTACTS = "so-xaydung"


def alerting_registry(folder: Path, webhook_base: str | None = None) -> Registry:
    """Write the registry to `folder` and load it; webhooks at WEBHOOK_BASE/hook/CODE."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(BUNDLED / "national" / "systems.yml", folder / "systems.yml")
    province: dict[str, Any] = yaml.safe_load((BUNDLED / "bac-ninh" / "province.yml").read_text())
    for department in province["departments"]:
        if department["code"] == NO_CONTACTS:
            department["contacts"] = []
        elif webhook_base is not None:
            department["contacts"].append({"webhook": f"{webhook_base}/hook/{department['code']}"})
    lead = next(o for o in province["obligations"] if o["system"] == SHARED_SYSTEM)
    province["obligations"].append(
        {
            "department": "bhxh-khu-vuc",
            "system": SHARED_SYSTEM,
            "kind": "maintain",
            "since": "2025-03-01",
            "basis": "Điều 6 khoản 18 điểm b",
            "derived": True,
            "probe": lead["probe"],  # the same gateway call, under its own credentials' duty
        }
    )
    (folder / "province.yml").write_text(yaml.safe_dump(province, allow_unicode=True))
    return load_registry(str(folder))


def dependents(registry: Registry, system: str, day: date) -> set[str]:
    """The departments owing `system` on `day` (a merged department's alerts cannot fire)."""
    return {o.department for o in current(registry, day) if o.system == system}


def current(registry: Registry, day: date) -> list[Obligation]:
    return [o for o in registry.obligations if registry.in_force(o, day, day)]
