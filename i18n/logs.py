"""Log lines in the service's language: each message (an English msgid marked with `N_`, with
its %-style arguments) is translated when the line is written, not where it is logged — so a
request handled in another language still logs in the operator's."""

from __future__ import annotations

import logging

from i18n import Lang, gettext_in


class TranslatingFormatter(logging.Formatter):
    def __init__(self, lang: Lang, fmt: str | None = None) -> None:
        super().__init__(fmt)
        self.lang = lang

    def format(self, record: logging.LogRecord) -> str:
        if isinstance(record.msg, str):
            record = logging.makeLogRecord(
                {**record.__dict__, "msg": gettext_in(self.lang, record.msg)}
            )
        return super().format(record)


def translate_last_resort(lang: Lang) -> None:
    """A command other than `serve` configures no log handler: a library's warning (an export
    period passed over, a mail not sent) goes to Python's last-resort handler, which wrote the
    English msgid beside the command's translated lines. It writes them in `lang` instead."""
    if logging.lastResort is not None:
        logging.lastResort.setFormatter(TranslatingFormatter(lang))
