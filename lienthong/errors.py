"""The command line's own user errors."""


class UsageError(Exception):
    """A request the user can fix: said in one line, exit 1."""
