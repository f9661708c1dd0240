"""A request the fake does not implement: answered at once, so no client waits forever.

TWS's generic error for a request it cannot read is 320 "Server error when reading an API
client request." (IBKR's TWS API error-code list); the fake adds which request it was and
that the fake (not TWS) lacks it. The answer carries the request's id, so ib_async fails the
waiting call with it (a `RequestError`) instead of timing out. The session also records a
server-side failure, which fails the test at the `fake_tws` fixture's teardown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_tws.fake.guards import unschemed_request_id
from pytest_tws.model.errors import Code, error_text
from pytest_tws.wire.messages import In

if TYPE_CHECKING:
    from pytest_tws.fake.session import Session

__all__ = ["answer_unimplemented", "unimplemented_text"]


def unimplemented_text(message_id: In) -> str:
    return error_text(
        Code.SERVER_ERROR_READING,
        f" {message_id.name} (message id {int(message_id)}) is not implemented by the fake "
        "TWS (pytest-tws); see docs/coverage.md",
    )


def answer_unimplemented(session: Session, message_id: In, fields: list[str]) -> None:
    """Send error 320 naming the request, to the request's id (or -1)."""
    session.send_error(
        unschemed_request_id(message_id, fields),
        Code.SERVER_ERROR_READING,
        unimplemented_text(message_id),
    )
