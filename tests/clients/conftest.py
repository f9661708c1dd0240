"""Fixtures for the client suites: every client, unmodified, over loopback TCP to the fake.

ib_insync (like ib_async) does not raise when it cannot decode a message: its decoder logs
the exception (``ib_insync.Decoder``: "Error handling fields: ...") and carries on, so a
layout it misreads would pass unnoticed. `client_decode_errors` fails the test instead.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.clients.decode_errors import INSYNC_LOGGERS, DecodeErrors


@pytest.fixture(autouse=True)
def client_decode_errors() -> Iterator[DecodeErrors]:
    """Fails the test at teardown if ib_insync logged a decode error during it."""
    with DecodeErrors(INSYNC_LOGGERS) as errors:
        yield errors
    if errors.records:
        pytest.fail("ib_insync logged errors decoding what the fake sent:\n"
                    + "\n".join(f"  - {e}" for e in errors.records), pytrace=False)
