"""Every sentence the code marks for people has its Vietnamese translation in a catalog."""

from __future__ import annotations

import argparse
from pathlib import Path

from babel.messages.extract import extract_from_dir, extract_python
from babel.messages.pofile import read_po

import i18n

ROOT = Path(__file__).resolve().parent.parent
# What marks a message for the catalogs (i18n/__init__.py): name -> which arguments are text.
KEYWORDS = {
    "_": None,
    "N_": None,
    "ngettext": (1, 2),
    "gettext_in": (2,),
    "ngettext_in": (2, 3),
}
PACKAGES = (
    "lienthong", "registry", "store", "probes", "intake", "compliance",
    "exporter", "reports", "dashboards", "api", "i18n",
)  # fmt: skip


def marked_messages() -> dict[str, str]:
    """Each marked msgid (the singular of a plural) with the first place it is written."""
    found: dict[str, str] = {}
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    for package in PACKAGES:
        folder = ROOT / package
        if not folder.is_dir():
            continue
        for filename, line, message, _comments, _context in extract_from_dir(
            str(folder), method_map, options, keywords=KEYWORDS
        ):
            msgid = message[0] if isinstance(message, tuple) else message
            if msgid:
                found.setdefault(msgid, f"{package}/{filename}:{line}")
    return found


def test_every_marked_message_has_a_vietnamese_translation() -> None:
    catalog = i18n.translations("vi")
    missing = [
        f"{where}: {msgid!r}"
        for msgid, where in sorted(marked_messages().items(), key=lambda kv: kv[1])
        if catalog.gettext(msgid) == msgid
    ]
    assert not missing, "untranslated (add to i18n/locale/vi/LC_MESSAGES/*.po):\n" + "\n".join(
        missing
    )


def test_the_current_language_is_vietnamese_unless_asked() -> None:
    assert i18n.current_lang() == "vi"
    assert i18n._("interrupted") == "đã dừng"
    with i18n.use_lang("en"):
        assert i18n._("interrupted") == "interrupted"
    assert i18n.gettext_in("en", "interrupted") == "interrupted"


def test_a_language_is_named_loosely_but_only_vi_or_en() -> None:
    assert i18n.parse_lang("vi_VN.UTF-8") == "vi"
    assert i18n.parse_lang("EN") == "en"
    try:
        i18n.parse_lang("fr")
    except ValueError as e:
        assert "fr" in str(e)
    else:
        raise AssertionError("fr accepted")


def test_a_message_has_one_translation_whatever_file_holds_it() -> None:
    """One glossary: the catalog files of a language never translate a msgid two ways."""
    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for path in sorted((i18n.LOCALE_DIR / "vi" / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as f:
            for message in read_po(f):
                if not message.id:
                    continue
                msgid = message.id if isinstance(message.id, str) else message.id[0]
                text = message.string if isinstance(message.string, str) else message.string[0]
                first = seen.setdefault(msgid, (path.name, text))
                if first[1] != text:
                    clashes.append(f"{msgid!r}: {first[0]} {first[1]!r}, {path.name} {text!r}")
    assert not clashes, "\n".join(clashes)


def argparse_messages() -> set[str]:
    """What argparse itself says through gettext (its usage, errors and headings): translated in
    messages.po, marked in the standard library's source."""
    with open(argparse.__file__, "rb") as f:
        return {
            message[0] if isinstance(message, tuple) else message
            for _line, _func, message, _comments in extract_python(
                f, {"_": None, "ngettext": (1, 2)}, [], {}
            )
        }


def test_every_catalog_entry_is_said_somewhere() -> None:
    """An entry no code marks any more is stale: an officer who corrects it sees nothing change.
    (Babel does not read inside f-strings: a message there must be taken out of it.)"""
    marked = {*marked_messages(), *argparse_messages()}
    stale = []
    for path in sorted((i18n.LOCALE_DIR / "vi" / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as f:
            for message in read_po(f):
                msgid = message.id if isinstance(message.id, str) else message.id[0]
                if msgid and msgid not in marked:
                    stale.append(f"{path.name}: {msgid!r}")
    assert not stale, "no code says these (remove them from the catalog):\n" + "\n".join(stale)
