"""Where the database and the registry are: the flag, else the config file (commands that
read one), else the environment, else the default. The one place this order is written."""

from __future__ import annotations

import argparse
import os

from registry import Registry, load_registry
from store.database import DEFAULT_URL

DB_ENV = "LIENTHONG_DB"
REGISTRY_ENV = "LIENTHONG_REGISTRY"


def database_url(args: argparse.Namespace, configured: str | None = None) -> str:
    return getattr(args, "db", None) or configured or os.environ.get(DB_ENV) or DEFAULT_URL


def registry_spec(args: argparse.Namespace, configured: str | None = None) -> str | None:
    return getattr(args, "registry", None) or configured or os.environ.get(REGISTRY_ENV) or None


def registry(args: argparse.Namespace, configured: str | None = None) -> Registry:
    return load_registry(registry_spec(args, configured))


def add_store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="URL",
        help=f"SQLAlchemy database URL (env {DB_ENV}; default {DEFAULT_URL})",
    )


def add_registry_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--registry",
        metavar="PATH",
        help=f"registry file or folder, or a bundled registry's name (env {REGISTRY_ENV};"
        " default: bundled bac-ninh)",
    )
