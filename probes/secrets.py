"""Secrets by reference: an environment variable or a file named in the YAML, never the value.

Error messages name the variable or the file, never what it holds.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from i18n import _


class SecretError(Exception):
    """A secret the registry refers to cannot be read."""


def read_secret(
    env: str | None, file: str | None, what: str, environ: Mapping[str, str] | None = None
) -> str:
    """The secret from environment variable `env` or from `file` (surrounding whitespace removed)."""
    environ = os.environ if environ is None else environ
    if env is not None:
        value = environ.get(env)
        if not value:
            raise SecretError(
                _("{what}: environment variable {env} is not set").format(what=what, env=env)
            )
        return value.strip()
    if file is not None:
        try:
            value = Path(file).read_text(encoding="utf-8").strip()
        except OSError as e:
            raise SecretError(
                _("{what}: cannot read {file}: {reason}").format(
                    what=what, file=file, reason=e.strerror
                )
            ) from None
        if not value:
            raise SecretError(_("{what}: {file} is empty").format(what=what, file=file))
        return value
    raise SecretError(_("{what}: no environment variable or file given").format(what=what))
