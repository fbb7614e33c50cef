"""JSON values one at a time from a large file, with the line each starts on.

Two shapes: JSON lines (one value per line), or one document holding an
array of values — a top-level array, or an object whose first key
("records", as in X-Road's operational data) holds it. A document is read
in chunks and decoded value by value, so memory stays flat however large
the file.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from typing import IO, Any

from i18n import _
from i18n.numbers import number
from intake.files import FileFormatError, Malformed, not_json, not_utf8

CHUNK = 1 << 20
MAX_VALUE = 16 << 20  # characters one record may take before we give up on the document
WRAPPED = re.compile(r'\s*\{\s*"(\w+)"\s*:\s*\[')
SPACE = re.compile(r"[\s,]*")
_decode = json.JSONDecoder().raw_decode


def json_values(binary: IO[bytes], name: str) -> Iterator[tuple[int, Any]]:
    """(line, value) for every value; a line that is not JSON gives (line, Malformed)."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    head = _read(binary, decoder, name)
    stripped = head.lstrip()
    wrapped = WRAPPED.match(head)
    if stripped.startswith("["):
        yield from _array(binary, decoder, name, head, head.index("[") + 1)
    elif wrapped is not None:
        yield from _array(binary, decoder, name, head, wrapped.end())
    else:
        yield from _lines(binary, decoder, name, head)


def _read(binary: IO[bytes], decoder: codecs.IncrementalDecoder, name: str) -> str:
    chunk = binary.read(CHUNK)
    try:
        return decoder.decode(chunk, final=not chunk)
    except UnicodeDecodeError as e:
        raise FileFormatError(f"{name}: " + not_utf8(e)) from None


def _lines(
    binary: IO[bytes], decoder: codecs.IncrementalDecoder, name: str, buffer: str
) -> Iterator[tuple[int, Any]]:
    line = 0
    while True:
        lines = buffer.split("\n")
        buffer = lines.pop()  # maybe incomplete
        for text in lines:
            line += 1
            if text.strip():
                yield line, _value(text)
        if len(buffer) > MAX_VALUE:
            # One record is a few kB: a longer line is refused before it is held whole.
            raise FileFormatError(
                f"{name}:{line + 1}: "
                + _("the line is longer than {n} characters").format(n=number(MAX_VALUE))
            )
        more = _read(binary, decoder, name)
        if not more:
            break
        buffer += more
    if buffer.strip():
        yield line + 1, _value(buffer)


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as e:
        return Malformed("", not_json(e))


def _array(
    binary: IO[bytes], decoder: codecs.IncrementalDecoder, name: str, buffer: str, pos: int
) -> Iterator[tuple[int, Any]]:
    line = 1 + buffer.count("\n", 0, pos)
    eof = False
    while True:
        start = SPACE.match(buffer, pos).end()  # type: ignore[union-attr]
        line += buffer.count("\n", pos, start)
        pos = start
        if pos < len(buffer) and buffer[pos] == "]":
            return  # whatever follows the array (the wrapper's end) does not matter
        try:
            value, end = _decode(buffer, pos)
        except ValueError as e:
            if eof or len(buffer) - pos > MAX_VALUE:
                raise FileFormatError(f"{name}:{line}: " + not_json(e)) from None
            more = _read(binary, decoder, name)
            eof = not more
            buffer = buffer[pos:] + more
            pos = 0
            continue
        yield line, value
        line += buffer.count("\n", pos, end)
        pos = end
        if pos > CHUNK:  # drop what is decoded, so the buffer stays about a chunk long
            buffer, pos = buffer[pos:], 0
