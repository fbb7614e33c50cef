"""The operating system's reasons (an OSError's strerror is English), in the user's language:
for every layer that says why a file, a socket or a server could not be used."""

from __future__ import annotations

import errno
import socket

from i18n import N_, _

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
    errno.ECONNREFUSED: N_("connection refused"),
    errno.ETIMEDOUT: N_("timed out"),
    errno.EHOSTUNREACH: N_("host unreachable"),
    errno.ENETUNREACH: N_("network unreachable"),
}
# getaddrinfo's reasons (socket.gaierror): their codes are not errno's.
NAME_REASONS = {
    socket.EAI_NONAME: N_("unknown host"),
    socket.EAI_AGAIN: N_("the host's name could not be looked up now"),
}


def describe_os_error(e: OSError) -> str:
    """Why `e` happened, in the user's language when the reason is a common one (the system's
    English words otherwise)."""
    table = NAME_REASONS if isinstance(e, socket.gaierror) else OS_REASONS
    reason = table.get(e.errno or 0)
    if reason is None and isinstance(e, TimeoutError):  # socket.timeout: no errno
        reason = OS_REASONS[errno.ETIMEDOUT]
    return _(reason) if reason is not None else (e.strerror or str(e) or type(e).__name__)
