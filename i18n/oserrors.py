"""The operating system's reasons (`OSError.strerror` is English) in the user's language."""

from __future__ import annotations

import errno

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
}


def describe_os_error(e: OSError) -> str:
    reason = OS_REASONS.get(e.errno or 0)
    return _(reason) if reason is not None else (e.strerror or str(e))
