"""The command line's own user errors."""

import errno

from i18n import N_, _

# The operating system's reasons, said in the user's language (strerror is English).
OS_REASONS = {
    errno.ENOENT: N_("no such file or folder"),
    errno.EACCES: N_("permission denied"),
    errno.EPERM: N_("operation not permitted"),
    errno.EISDIR: N_("is a folder"),
    errno.ENOTDIR: N_("not a folder"),
    errno.EEXIST: N_("already exists"),
    errno.ENOSPC: N_("no space left on the device"),
    errno.EROFS: N_("read-only file system"),
    errno.EADDRINUSE: N_("address already in use"),
    errno.EADDRNOTAVAIL: N_("address not available on this machine"),
}


def describe_os_error(e: OSError) -> str:
    reason = OS_REASONS.get(e.errno or 0)
    return _(reason) if reason is not None else (e.strerror or str(e))


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
