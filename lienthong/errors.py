"""The command line's own user errors."""

from i18n.os_errors import describe_os_error  # said here too: the commands' one import

__all__ = ["BadUsage", "UsageError", "UsageErrors", "describe_os_error"]


class UsageError(Exception):
    """A request the user can fix: said in one line, exit 1."""


class BadUsage(UsageError):
    """Options that cannot go together, or a value only checkable after parsing: exit 2,
    as argparse's own usage errors."""


class UsageErrors(UsageError):
    """Several problems found at once: each said on its own line, exit 1."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
