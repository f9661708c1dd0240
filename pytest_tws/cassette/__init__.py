"""Cassettes for the TWS API: record a session through a proxy, replay it without a TWS.

- `proxy.RecordingProxy`: listens on 127.0.0.1, forwards a client to an upstream TWS and
  writes every message it sees, decoded by the wire schemas, to a `format.Cassette`.
- `format`: the cassette file (JSON lines: a header, then one message per line) and scrubbing.
"""

from pytest_tws.cassette.format import Cassette, Entry, Scrubber, load, save

__all__ = ["Cassette", "Entry", "Scrubber", "load", "save"]
