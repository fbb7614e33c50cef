"""Mailing a period's exports (SMTP), by default to the standing department's contacts.

The SMTP password is given by reference only (an environment variable or a file),
never in the configuration, and never appears in a message.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from i18n import _
from i18n.os_errors import describe_os_error
from registry import Registry

ATTACHMENT_TYPES = {
    ".pdf": ("application", "pdf"),
    ".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".json": ("application", "json"),
    ".csv": ("text", "csv"),
    ".docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document"),
}


class MailError(Exception):
    """Mail that could not be sent: one line, no secret in it."""


class MailSettings(BaseModel):
    """`[exports.mail]` in the service's TOML configuration."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "localhost"
    port: int = Field(default=25, ge=1, le=65535)
    security: Literal["none", "starttls", "tls"] = "none"
    username: str | None = None
    password_env: str | None = None
    password_file: Path | None = None
    sender: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    to: tuple[str, ...] = ()  # default: the standing department's contacts
    timeout: float = Field(default=30, gt=0)

    @model_validator(mode="after")
    def _one_password_reference(self) -> MailSettings:
        if self.password_env is not None and self.password_file is not None:
            raise ValueError(_("give at most one of password_env and password_file"))
        if self.username is None and (self.password_env or self.password_file):
            raise ValueError(_("a password needs a username"))
        return self

    def password(self) -> str | None:
        if self.password_env is not None:
            value = os.environ.get(self.password_env)
            if value is None:
                raise MailError(
                    _("SMTP password: environment variable {env} is not set").format(
                        env=self.password_env
                    )
                )
            return value
        if self.password_file is not None:
            try:
                return self.password_file.read_text(encoding="utf-8").strip()
            except OSError as e:
                raise MailError(
                    _("SMTP password: cannot read {file}: {reason}").format(
                        file=self.password_file, reason=describe_os_error(e)
                    )
                ) from None
        return None


def recipients(mail: MailSettings, registry: Registry) -> tuple[str, ...]:
    """The configured recipients, or else the standing department's contacts' e-mails."""
    if mail.to:
        return mail.to
    code = registry.standing_department
    if code is None:
        return ()
    return tuple(c.email for c in registry.department(code).contacts if c.email)


def message(
    mail: MailSettings, to: Sequence[str], subject: str, body: str, files: Sequence[Path]
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = mail.sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=mail.sender.rsplit("@", 1)[1])
    msg.set_content(body)
    for path in files:
        maintype, subtype = ATTACHMENT_TYPES.get(path.suffix, ("application", "octet-stream"))
        msg.add_attachment(
            path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name
        )
    return msg


def send(mail: MailSettings, msg: EmailMessage) -> None:
    """Deliver one message through the configured SMTP server."""
    password = mail.password()
    context = ssl.create_default_context()
    try:
        smtp: smtplib.SMTP
        if mail.security == "tls":
            smtp = smtplib.SMTP_SSL(mail.host, mail.port, timeout=mail.timeout, context=context)
        else:
            smtp = smtplib.SMTP(mail.host, mail.port, timeout=mail.timeout)
        with smtp:
            if mail.security == "starttls":
                smtp.starttls(context=context)
            if mail.username is not None and password is not None:
                smtp.login(mail.username, password)
            smtp.send_message(msg)
    except OSError as e:  # smtplib's errors are OSErrors too
        # An SMTP error quotes the server's answer (its code and words), kept as it is; the
        # connection's own failures (refused, timed out) are said in the user's language.
        reason = str(e) if isinstance(e, smtplib.SMTPException) else describe_os_error(e)
        raise MailError(
            _("cannot send mail through {host}:{port}: {reason}").format(
                host=mail.host, port=mail.port, reason=reason
            )
        ) from None
