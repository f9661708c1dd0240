"""JSON syntax checking with the messages of Go's ``encoding/json`` scanner.

Toxiproxy decodes request bodies with ``json.NewDecoder(body).Decode(&v)``: it reads the first
JSON value and ignores what follows; an empty body is ``EOF``, a body cut short is
``unexpected EOF``, and a bad byte is ``invalid character 'x' <where>`` (Go's
``encoding/json/scanner.go``). Python's ``json`` messages differ, so the value is scanned here
first and handed to ``json`` only once it is known to be valid.
"""

from __future__ import annotations

import json
from typing import Any

_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
            "\v": "\\v", "\\": "\\\\"}
_WHITESPACE = " \t\r\n"
_DIGITS = "0123456789"
_HEX = "0123456789abcdefABCDEF"


class GoSyntaxError(ValueError):
    """The text Go's decoder would return for a malformed body."""


class GoFloat(float):
    """A JSON number that is not an integer, remembering how it was written (``100.0``)."""

    raw: str

    def __new__(cls, raw: str) -> GoFloat:
        value = super().__new__(cls, raw)
        value.raw = raw
        return value


def quote_char(char: str) -> str:
    """Go's ``quoteChar``: ``'x'``, with ``strconv.Quote``-style escapes."""
    if char == "'":
        return "'\\''"
    if char == '"':
        return "'\"'"
    if char in _ESCAPES:
        return f"'{_ESCAPES[char]}'"
    if ord(char) < 0x20 or ord(char) == 0x7F:
        return f"'\\x{ord(char):02x}'"
    return f"'{char}'"


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, where: str) -> GoSyntaxError:
        return GoSyntaxError(f"invalid character {quote_char(self.text[self.pos])} {where}")

    def peek(self) -> str:
        """The next character; raises ``unexpected EOF`` at the end."""
        if self.pos >= len(self.text):
            raise GoSyntaxError("unexpected EOF")
        return self.text[self.pos]

    def skip_space(self) -> str:
        while self.pos < len(self.text) and self.text[self.pos] in _WHITESPACE:
            self.pos += 1
        return self.peek()

    def value(self) -> None:
        char = self.skip_space()
        if char == "{":
            self.object()
        elif char == "[":
            self.array()
        elif char == '"':
            self.string()
        elif char == "-" or char in _DIGITS:
            self.number()
        elif char in "tfn":
            self.literal({"t": "true", "f": "false", "n": "null"}[char])
        else:
            raise self.fail("looking for beginning of value")

    def object(self) -> None:
        self.pos += 1
        if self.skip_space() == "}":
            self.pos += 1
            return
        while True:
            if self.skip_space() != '"':
                raise self.fail("looking for beginning of object key string")
            self.string()
            if self.skip_space() != ":":
                raise self.fail("after object key")
            self.pos += 1
            self.value()
            char = self.skip_space()
            self.pos += 1
            if char == "}":
                return
            if char != ",":
                self.pos -= 1
                raise self.fail("after object key:value pair")

    def array(self) -> None:
        self.pos += 1
        if self.skip_space() == "]":
            self.pos += 1
            return
        while True:
            self.value()
            char = self.skip_space()
            self.pos += 1
            if char == "]":
                return
            if char != ",":
                self.pos -= 1
                raise self.fail("after array element")

    def string(self) -> None:
        self.pos += 1
        while True:
            char = self.peek()
            if char == '"':
                self.pos += 1
                return
            if char == "\\":
                self.pos += 1
                escape = self.peek()
                if escape == "u":
                    for _ in range(4):
                        self.pos += 1
                        if self.peek() not in _HEX:
                            raise self.fail("in \\u hexadecimal character escape")
                elif escape not in 'bfnrt\\/"':
                    raise self.fail("in string escape code")
            elif ord(char) < 0x20:
                raise self.fail("in string literal")
            self.pos += 1

    def _digits(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in _DIGITS:
            self.pos += 1

    def _at(self, chars: str) -> bool:
        return self.pos < len(self.text) and self.text[self.pos] in chars

    def number(self) -> None:
        if self.text[self.pos] == "-":
            self.pos += 1
            if self.peek() not in _DIGITS:
                raise self.fail("in numeric literal")
        if self.text[self.pos] == "0":
            self.pos += 1
        else:
            self._digits()
        if self._at("."):
            self.pos += 1
            if self.peek() not in _DIGITS:
                raise self.fail("after decimal point in numeric literal")
            self._digits()
        if self._at("eE"):
            self.pos += 1
            if self.peek() in "+-":
                self.pos += 1
            if self.peek() not in _DIGITS:
                raise self.fail("in exponent of numeric literal")
            self._digits()

    def literal(self, word: str) -> None:
        self.pos += 1
        for expected in word[1:]:
            if self.peek() != expected:
                raise self.fail(f"in literal {word} (expecting {quote_char(expected)})")
            self.pos += 1


def decode_first_value(body: bytes) -> Any:
    """The first JSON value of ``body`` as Go's ``Decoder.Decode`` reads it.

    Non-integer numbers come back as `GoFloat`. Raises `GoSyntaxError` with Go's message.
    """
    # Go scans bytes, and names a bad byte as the rune of that value (0xff is 'ÿ'): Latin-1.
    scanner = _Scanner(body.decode("latin-1"))
    if not scanner.text.strip(_WHITESPACE):
        raise GoSyntaxError("EOF")
    scanner.value()
    return json.loads(body[: scanner.pos].decode("utf-8", errors="replace"), parse_float=GoFloat)
