"""`lienthong`: the command line. Each command group lives in its own `cli_*` module."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import metadata

from sqlalchemy.exc import SQLAlchemyError

import i18n
from compliance.packs import UnknownDepartment
from compliance.periods import PeriodError
from i18n import _, use_lang
from i18n.logs import translate_last_resort
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
    settings,
)
from lienthong.cli_args import use_help_formatter
from lienthong.errors import BadUsage, UsageError, UsageErrors, describe_os_error
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


# argparse says its own messages ("usage:", "the following arguments are required", "invalid
# choice") through the gettext module's global domain: through our catalogs instead, so
# that they are in the user's language like the rest (its msgids are in messages.po).
argparse._ = i18n._  # type: ignore[attr-defined]
argparse.ngettext = i18n.ngettext  # type: ignore[attr-defined]


def build_parser() -> argparse.ArgumentParser:
    """The parser, its help in the current language (set it first: `main` does)."""
    parser = argparse.ArgumentParser(
        prog="lienthong",
        description=_("Watches each department's data connection to its national systems."),
    )
    parser.add_argument(
        "-V",
        "--version",
        action="version",
        version=f"lienthong {version()}",
        help=_("show the version and exit"),
    )
    settings.add_common_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.register(sub)
    for command in leaf_parsers(parser):
        settings.add_common_options(command)
    use_help_formatter(parser)
    return parser


def leaf_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Each parser that runs a command (one without sub-commands of its own)."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return [parser]
    return [leaf for a in subs for p in a.choices.values() for leaf in leaf_parsers(p)]


def version() -> str:
    """The installed distribution's version (pyproject.toml's), else the source tree's."""
    try:
        return metadata.version("lienthong")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    # The language is known before the command line is parsed (argparse's own errors and
    # the help are said in it), then once more from the parsed flags and the config file.
    with use_lang(settings.early_lang(words)):
        args = build_parser().parse_args(words)
        try:
            lang = settings.lang(args)
        except USER_ERRORS as e:
            print(f"lienthong: {_describe(e)}", file=sys.stderr)
            return 1
    translate_last_resort(lang)
    with use_lang(lang):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        code: int = args.run(args)
        return code
    except RegistryError as e:
        for problem in e.problems:
            print(problem, file=sys.stderr)
        return 1
    except BadUsage as e:
        print(
            _("lienthong {command}: error: {message}").format(command=args.command, message=e),
            file=sys.stderr,
        )
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
        print(
            _("lienthong: database error: {message}").format(message=first_line(e)),
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        print("lienthong: " + _("interrupted"), file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def _describe(e: Exception) -> str:
    if isinstance(e, OSError) and e.filename is not None:
        return f"{e.filename}: {describe_os_error(e)}"
    return str(e)
