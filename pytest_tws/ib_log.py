"""ib_async's own decode errors, caught so the test during which they happened fails.

ib_async does not raise when it cannot decode a message: its decoder logs the exception
(``ib_async.Decoder``) and its wrapper logs inconsistencies (``ib_async.wrapper``: a tick for
an unknown reqId, a malformed value). Against the fake, either means the fake sent something
a real TWS would not have. TWS's own error messages, which the wrapper also logs at ERROR
("Error 200, reqId 5: ..."), are answers, not decode errors, and are left alone.
"""

from __future__ import annotations

import logging
import re
import threading

WATCHED_LOGGERS = ("ib_async.Decoder", "ib_async.decoder", "ib_async.wrapper")
_TWS_ERROR_MESSAGE = re.compile(r"^(Error|Warning) -?\d+, reqId -?\d+: ")


class IbAsyncErrors(logging.Handler):
    """Collects ERROR records of ib_async's decoder and wrapper until taken."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self._records: list[str] = []
        self._records_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.name == "ib_async.wrapper" and _TWS_ERROR_MESSAGE.match(text):
            return
        if record.exc_info and record.exc_info[1] is not None:
            text += f" [{type(record.exc_info[1]).__name__}: {record.exc_info[1]}]"
        with self._records_lock:
            self._records.append(f"{record.name}: {text}")

    def take(self) -> list[str]:
        with self._records_lock:
            records, self._records = self._records, []
            return records

    def install(self) -> None:
        for name in WATCHED_LOGGERS:
            logging.getLogger(name).addHandler(self)

    def uninstall(self) -> None:
        for name in WATCHED_LOGGERS:
            logging.getLogger(name).removeHandler(self)
