"""The cassette file: human-readable, diffable, one decoded message per line.

    {"pytest_tws_cassette": 1, "server_version": 178, ...}          <- header
    {"t": 0.0, "conn": 0, "dir": "client", "id": 71, "name": "START_API", "fields": {...},
     "raw": ["71", "2", "1", ""]}                                    <- one line per message

``dir`` is ``client`` (client -> TWS) or ``tws`` (TWS -> client); ``t`` is seconds since the
recording started; ``fields`` are IBKR's names as the codec's schemas decode the message at the
connection's negotiated version; ``raw`` is the message's text fields (what replay sends back),
or ``proto`` the hex of a protobuf body (versions >= 201). Two pseudo messages frame each
connection: ``HANDSHAKE`` (the client's ``v{min}..{max}``) and ``SERVER_VERSION``.

Scrubbing (`Scrubber`) replaces account ids and order refs with stable placeholders
(``DU0000001``, ``REF1``: the first account seen is always 1) everywhere they occur, in the
decoded fields and in the raw ones alike, so a replayed answer carries the same placeholder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1
HEADER_KEY = "pytest_tws_cassette"
CLIENT = "client"
TWS = "tws"
HANDSHAKE = "HANDSHAKE"
SERVER_VERSION = "SERVER_VERSION"

#: field names whose values are account ids (ibapi's attribute names)
ACCOUNT_FIELDS = frozenset({"account", "accountsList", "acctCode", "accountName", "acctNumber"})
#: field names whose values are the user's own order references
REF_FIELDS = frozenset({"orderRef"})


@dataclass
class Entry:
    """One message of a cassette."""

    t: float
    conn: int
    dir: str
    id: int
    name: str
    fields: dict[str, Any]
    raw: list[str] | None = None
    proto: str | None = None

    def to_json(self) -> dict[str, Any]:
        line: dict[str, Any] = {"t": round(self.t, 6), "conn": self.conn, "dir": self.dir,
                                "id": self.id, "name": self.name, "fields": self.fields}
        if self.raw is not None:
            line["raw"] = self.raw
        if self.proto is not None:
            line["proto"] = self.proto
        return line

    @classmethod
    def from_json(cls, line: dict[str, Any]) -> Entry:
        return cls(float(line["t"]), int(line["conn"]), str(line["dir"]), int(line["id"]),
                   str(line["name"]), dict(line.get("fields") or {}), line.get("raw"),
                   line.get("proto"))


@dataclass
class Cassette:
    """A recording: the negotiated version and the messages, in the order they crossed."""

    server_version: int = 0
    entries: list[Entry] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def connections(self) -> list[int]:
        return sorted({entry.conn for entry in self.entries})

    def of(self, conn: int) -> list[Entry]:
        return [entry for entry in self.entries if entry.conn == conn]


class CassetteError(ValueError):
    """A file that is not a cassette (or of a format this version cannot read)."""


def _plain(value: Any) -> Any:
    """JSON-able: Decimals as text (they are sizes: exact), tuples as lists."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def dumps(cassette: Cassette) -> str:
    header = {HEADER_KEY: FORMAT_VERSION, "server_version": cassette.server_version,
              **cassette.meta}
    lines = [json.dumps(_plain(header), ensure_ascii=False)]
    lines += [json.dumps(_plain(entry.to_json()), ensure_ascii=False)
              for entry in cassette.entries]
    return "\n".join(lines) + "\n"


def loads(text: str, source: str = "cassette") -> Cassette:
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise CassetteError(f"{source} is empty")
    try:
        header = json.loads(lines[0])
        entries = [Entry.from_json(json.loads(line)) for line in lines[1:]]
    except (ValueError, KeyError, TypeError) as exc:
        raise CassetteError(f"{source} is not a pytest-tws cassette: {exc}") from exc
    if not isinstance(header, dict) or header.get(HEADER_KEY) != FORMAT_VERSION:
        raise CassetteError(f"{source} has no pytest-tws cassette header "
                            f"({HEADER_KEY}: {FORMAT_VERSION})")
    meta = {k: v for k, v in header.items() if k not in (HEADER_KEY, "server_version")}
    return Cassette(int(header.get("server_version", 0)), entries, meta)


def save(cassette: Cassette, path: str | Path) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(dumps(cassette), encoding="utf-8", newline="\n")
    return target


def load(path: str | Path) -> Cassette:
    source = Path(path)
    return loads(source.read_text(encoding="utf-8"), str(source))


@dataclass
class Scrubber:
    """Replaces private values with stable placeholders.

    Args:
        account_fields: names whose values are account ids (comma lists allowed).
        ref_fields: names whose values are order refs.
        values: extra literal values to hide -> their placeholder.
    """

    account_fields: frozenset[str] = ACCOUNT_FIELDS
    ref_fields: frozenset[str] = REF_FIELDS
    values: dict[str, str] = field(default_factory=dict)
    account_format: str = "DU{:07d}"
    ref_format: str = "REF{}"

    def scrub(self, cassette: Cassette) -> Cassette:
        """The cassette with every private value replaced (in place; returned)."""
        found: dict[str, str] = dict(self.values)
        accounts: list[str] = []
        refs: list[str] = []
        for entry in cassette.entries:
            self._collect(entry.fields, found, accounts, refs)
        ordered = sorted(found, key=len, reverse=True)  # longest first: no partial overlap
        for entry in cassette.entries:
            entry.fields = _replace(entry.fields, found, ordered)
            if entry.raw is not None:
                entry.raw = [_replace_text(text, found, ordered) for text in entry.raw]
        cassette.meta["scrubbed"] = sorted(set(found.values()))
        self._found = found
        return cassette

    def placeholder(self, value: str) -> str:
        """What the last `scrub` wrote for `value` (the value itself if it hid nothing)."""
        return getattr(self, "_found", {}).get(value, value)

    def _collect(self, values: Any, found: dict[str, str], accounts: list[str],
                 refs: list[str]) -> None:
        if isinstance(values, list):
            for item in values:
                self._collect(item, found, accounts, refs)
            return
        if not isinstance(values, dict):
            return
        for name, value in values.items():
            if isinstance(value, (dict, list)):
                self._collect(value, found, accounts, refs)
            elif isinstance(value, str) and value:
                if name in self.account_fields:
                    for account in (part.strip() for part in value.split(",")):
                        if account and account not in found:
                            accounts.append(account)
                            found[account] = self.account_format.format(len(accounts))
                elif name in self.ref_fields and value not in found:
                    refs.append(value)
                    found[value] = self.ref_format.format(len(refs))


#: secrets at least this long are replaced inside longer texts (error messages); shorter ones
#: only where they are the whole field or one item of a comma list, so "1" never mangles "10"
SUBSTRING_MIN = 6


def _replace_text(text: str, found: dict[str, str], ordered: list[str]) -> str:
    if text in found:
        return found[text]
    if "," in text:
        text = ",".join(found.get(part, part) for part in text.split(","))
    for secret in ordered:
        if len(secret) >= SUBSTRING_MIN and secret in text:
            text = text.replace(secret, found[secret])
    return text


def _replace(value: Any, found: dict[str, str], ordered: list[str]) -> Any:
    if isinstance(value, str):
        return _replace_text(value, found, ordered)
    if isinstance(value, dict):
        return {k: _replace(v, found, ordered) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, found, ordered) for v in value]
    return value
