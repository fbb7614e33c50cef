"""Where the database, the registry and the language come from, for every command: the flag,
else the environment, else the config file (`--config`, env `LIENTHONG_CONFIG`: the TOML file
`serve` reads), else the default (contract 1.2). The one place this order is written."""

from __future__ import annotations

import argparse
import os
import tomllib
from collections.abc import Sequence
from pathlib import Path

from i18n import DEFAULT_LANG, LANG_ENV, LANGS, Lang, _, parse_lang
from lienthong.errors import UsageError
from lienthong.serve_config import ServeConfig, load_config
from registry import Registry, load_registry
from store.database import DEFAULT_URL

CONFIG_ENV = "LIENTHONG_CONFIG"
DB_ENV = "LIENTHONG_DB"
REGISTRY_ENV = "LIENTHONG_REGISTRY"

_LOADED = "_lienthong_config"  # where a command's config, once read, is kept on its args


def config_path(args: argparse.Namespace) -> Path | None:
    given = getattr(args, "config", None) or os.environ.get(CONFIG_ENV) or None
    return Path(given) if given is not None else None


def config(args: argparse.Namespace) -> ServeConfig:
    """The config file's settings (every default without one), read once per command."""
    loaded: ServeConfig | None = getattr(args, _LOADED, None)
    if loaded is None:
        loaded = load_config(config_path(args))
        setattr(args, _LOADED, loaded)
    return loaded


def database_url(args: argparse.Namespace, default: str = DEFAULT_URL) -> str:
    """`default`: the command's own when none is given (`demo` keeps its own database)."""
    return getattr(args, "db", None) or os.environ.get(DB_ENV) or config(args).database or default


def registry_spec(args: argparse.Namespace) -> str | None:
    return (
        getattr(args, "registry", None)
        or os.environ.get(REGISTRY_ENV)
        or config(args).registry
        or None
    )


def registry(args: argparse.Namespace) -> Registry:
    return load_registry(registry_spec(args))


def lang(args: argparse.Namespace) -> Lang:
    flag: Lang | None = getattr(args, "lang", None)
    if flag is not None:
        return flag
    env = os.environ.get(LANG_ENV)
    if env:
        try:
            return parse_lang(env)
        except ValueError:
            raise UsageError(
                _("{name}={value!r}: not a language lienthong speaks ({langs})").format(
                    name=LANG_ENV, value=env, langs=", ".join(LANGS)
                )
            ) from None
    return config(args).lang or DEFAULT_LANG


def early_lang(argv: Sequence[str]) -> Lang:
    """The language to parse the command line in, before it is parsed (argparse's own
    messages, --help): as `lang`, but never failing — a bad value is said after parsing."""
    given: dict[str, str] = {}
    words = list(argv)
    for i, word in enumerate(words):
        for option in ("--lang", "--config"):
            if word == option and i + 1 < len(words):
                given[option] = words[i + 1]
            elif word.startswith(option + "="):
                given[option] = word.split("=", 1)[1]
    for text in (given.get("--lang"), os.environ.get(LANG_ENV)):
        if text:
            try:
                return parse_lang(text)
            except ValueError:
                return DEFAULT_LANG
    path = given.get("--config") or os.environ.get(CONFIG_ENV)
    if path:
        try:
            value = tomllib.loads(Path(path).read_text(encoding="utf-8")).get("lang")
            return parse_lang(value) if isinstance(value, str) else DEFAULT_LANG
        except (OSError, ValueError):
            return DEFAULT_LANG
    return DEFAULT_LANG


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """`--config` and `--lang`: every command takes them, before or after its name (not set,
    they are absent: a command's own never hides the one given before it)."""
    parser.add_argument(
        "--config",
        type=Path,
        default=argparse.SUPPRESS,
        metavar="FILE",
        help=_(
            "the TOML config file `serve` reads: its database, registry and lang apply (env {env})"
        ).format(env=CONFIG_ENV),
    )
    parser.add_argument(
        "--lang",
        choices=LANGS,
        default=argparse.SUPPRESS,
        help=_(
            "the language of what a person reads (env {env}; config lang; default {default})"
        ).format(env=LANG_ENV, default=DEFAULT_LANG),
    )


def add_store_options(parser: argparse.ArgumentParser, default: str = DEFAULT_URL) -> None:
    parser.add_argument(
        "--db",
        metavar="URL",
        help=_("SQLAlchemy database URL (env {env}; config database; default {default})").format(
            env=DB_ENV, default=default
        ),
    )


def add_registry_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--registry",
        metavar="PATH",
        help=_(
            "registry file or folder, or a bundled registry's name (env {env}; config registry;"
            " default: bundled bac-ninh)"
        ).format(env=REGISTRY_ENV),
    )
