"""Client libraries' own decode errors, caught so the test during which they happened fails.

ib_insync (like ib_async) does not raise when it cannot decode a message: its decoder logs
the exception (``ib_insync.Decoder``: "Error handling fields: ...") and carries on, so a
layout it misreads would pass unnoticed.
"""

from __future__ import annotations

import logging
import re
import threading

#: The loggers of ib_insync 0.9.86 that report what it could not decode.
INSYNC_LOGGERS = ("ib_insync.Decoder", "ib_insync.wrapper", "ib_insync.client")
#: TWS's own error messages, which the wrapper logs at ERROR, are answers, not decode errors.
_TWS_ERROR_MESSAGE = re.compile(r"^(Error|Warning) -?\d+, reqId -?\d+: ")


class DecodeErrors(logging.Handler):
    """ERROR records of a client library's decoder and wrapper, collected until taken."""

    def __init__(self, loggers: tuple[str, ...]) -> None:
        super().__init__(level=logging.ERROR)
        self.loggers = loggers
        self.records: list[str] = []
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.name.endswith(".wrapper") and _TWS_ERROR_MESSAGE.match(text):
            return
        if record.exc_info and record.exc_info[1] is not None:
            text += f" [{type(record.exc_info[1]).__name__}: {record.exc_info[1]}]"
        with self._lock:
            self.records.append(f"{record.name}: {text}")

    def __enter__(self) -> DecodeErrors:
        for name in self.loggers:
            logging.getLogger(name).addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        for name in self.loggers:
            logging.getLogger(name).removeHandler(self)
