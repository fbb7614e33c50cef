"""What a person reads, in their language: gettext catalogs (Babel `.po` files), Vietnamese first.

Source strings (msgids) are English; `locale/vi/LC_MESSAGES/*.po` translate them. Every `.po`
file of a language is one catalog to the program (a file per area, so that an officer can find
and correct a phrase without reading code; see docs/translations.md). The language of the
moment is a context variable: the CLI sets it once from `--lang`/`LIENTHONG_LANG`/config, a
web request sets it for its own task, a report passes its `lang` explicitly.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Literal

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

Lang = Literal["vi", "en"]
LANGS: tuple[Lang, ...] = ("vi", "en")
DEFAULT_LANG: Lang = "vi"
LANG_ENV = "LIENTHONG_LANG"
LOCALE_DIR = Path(__file__).parent / "locale"

_current: ContextVar[Lang] = ContextVar("lienthong_lang", default=DEFAULT_LANG)


def parse_lang(text: str) -> Lang:
    """`vi` or `en` (case and a region suffix ignored: `vi_VN.UTF-8` is `vi`)."""
    code = text.strip().lower().replace("-", "_").split("_")[0].split(".")[0]
    if code not in LANGS:
        raise ValueError(f"{text!r} is not a language lienthong speaks ({', '.join(LANGS)})")
    return code


def current_lang() -> Lang:
    return _current.get()


def set_lang(lang: Lang) -> None:
    """The language for the rest of this context (the CLI's process, a request's task)."""
    _current.set(lang)


@contextmanager
def use_lang(lang: Lang) -> Iterator[None]:
    token = _current.set(lang)
    try:
        yield
    finally:
        _current.reset(token)


@cache
def translations(lang: Lang) -> gettext.NullTranslations:
    """Every `.po` file of `lang`, read with Babel and merged into one catalog (read once)."""
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    files = sorted(folder.glob("*.po")) if folder.is_dir() else []
    if not files:
        return gettext.NullTranslations()  # English: the msgids are the text
    merged: gettext.NullTranslations | None = None
    for path in files:
        with path.open("rb") as f:
            catalog = read_po(f, locale=lang)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        part = gettext.GNUTranslations(buffer)
        if merged is None:
            merged = part
        else:
            merged.add_fallback(part)
    assert merged is not None
    return merged


def gettext_in(lang: Lang, message: str) -> str:
    """`message` in `lang` (for code that is handed its language, e.g. a report)."""
    return translations(lang).gettext(message)


def ngettext_in(lang: Lang, singular: str, plural: str, n: int) -> str:
    return translations(lang).ngettext(singular, plural, n)


def _(message: str) -> str:
    """`message` in the current language."""
    return gettext_in(_current.get(), message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return ngettext_in(_current.get(), singular, plural, n)


def N_(message: str) -> str:
    """Marks `message` for the catalogs without translating it (tables translated later)."""
    return message
