"""Grafana file provisioning: the Prometheus data source and the dashboard provider."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from i18n import _
from registry import Registry

FOLDER_UID = "lienthong"


def folder_title(registry: Registry) -> str:
    """The dashboards' folder, in the current language (its uid, FOLDER_UID, in every one)."""
    return _("{province} data connections").format(province=registry.province.name)


@dataclass(frozen=True)
class Options:
    """Where Grafana finds Prometheus, and the dashboard files."""

    prometheus_url: str = "http://localhost:9090"
    scrape_interval: str = "30s"  # Grafana's minimum step: match Prometheus's scrape interval
    dashboards_path: str | None = None  # as Grafana sees it; default: the rendered folder


def datasources(options: Options) -> dict[str, Any]:
    """`provisioning/datasources/lienthong.yml`."""
    # Imported here: `lienthong serve` loads this module (the dashboards command's
    # defaults) and the Grafana SDK behind `grafana` took a third of a second of its start.
    from dashboards.grafana import DATASOURCE_UID

    return {
        "apiVersion": 1,
        "datasources": [
            {
                "name": "Prometheus (lienthong)",
                "uid": DATASOURCE_UID,
                "type": "prometheus",
                "access": "proxy",
                "url": options.prometheus_url,
                "isDefault": False,
                "editable": False,
                "jsonData": {"timeInterval": options.scrape_interval, "httpMethod": "POST"},
            }
        ],
    }


def providers(registry: Registry, path: str) -> dict[str, Any]:
    """`provisioning/dashboards/lienthong.yml`: the dashboards folder, read-only in the UI."""
    return {
        "apiVersion": 1,
        "providers": [
            {
                "name": "lienthong",
                "orgId": 1,
                "folder": folder_title(registry),
                "folderUid": FOLDER_UID,
                "type": "file",
                "disableDeletion": False,
                "allowUiUpdates": False,
                "updateIntervalSeconds": 60,
                "options": {"path": path, "foldersFromFilesStructure": False},
            }
        ],
    }
