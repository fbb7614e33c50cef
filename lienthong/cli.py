"""`lienthong`: the command line. Each command group lives in its own `cli_*` module."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import metadata

from sqlalchemy.exc import SQLAlchemyError

from compliance.packs import UnknownDepartment
from compliance.periods import PeriodError
from i18n import _
from intake import FileFormatError
from lienthong import (
    cli_alerts,
    cli_calendar,
    cli_dashboards,
    cli_db,
    cli_demo,
    cli_evidence,
    cli_excuse,
    cli_exports,
    cli_ingest,
    cli_national,
    cli_registry,
    cli_report,
    cli_serve,
    cli_simulate,
    cli_sources,
    cli_tokens,
)
from lienthong.cli_args import use_help_formatter
from lienthong.errors import BadUsage, UsageError, UsageErrors
from registry import RegistryError
from reports.mailing import MailError
from reports.manifest import ManifestError
from store import StoreError
from store.database import first_line

COMMANDS = (
    cli_demo,
    cli_serve,
    cli_sources,
    cli_simulate,
    cli_registry,
    cli_ingest,
    cli_report,
    cli_tokens,
    cli_excuse,
    cli_evidence,
    cli_exports,
    cli_alerts,
    cli_dashboards,
    cli_db,
    cli_national,
    cli_calendar,
)


# Errors a user can fix: shown as one line (or one line per problem), exit 1.
USER_ERRORS: tuple[type[Exception], ...] = (
    StoreError,
    FileFormatError,
    PeriodError,
    UnknownDepartment,
    ManifestError,
    MailError,
    UsageError,
    FileNotFoundError,
    PermissionError,
    IsADirectoryError,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lienthong",
        description="Watches each department's data connection to its national systems.",
    )
    parser.add_argument("-V", "--version", action="version", version=f"lienthong {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.register(sub)
    use_help_formatter(parser)
    return parser


def version() -> str:
    """The installed distribution's version (pyproject.toml's), else the source tree's."""
    try:
        return metadata.version("lienthong")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
        return code
    except RegistryError as e:
        for problem in e.problems:
            print(problem, file=sys.stderr)
        return 1
    except BadUsage as e:
        print(f"lienthong {args.command}: error: {e}", file=sys.stderr)
        return 2
    except UsageErrors as e:
        for line in e.problems:
            print(f"lienthong: {line}", file=sys.stderr)
        return 1
    except USER_ERRORS as e:
        print(f"lienthong: {_describe(e)}", file=sys.stderr)
        return 1
    except SQLAlchemyError as e:
        # The database went away mid-command: say so in a line, not a traceback.
        print(f"lienthong: database error: {first_line(e)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"lienthong: {_('interrupted')}", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def _describe(e: Exception) -> str:
    if isinstance(e, OSError) and e.filename is not None:
        return f"{e.filename}: {e.strerror}"
    return str(e)
