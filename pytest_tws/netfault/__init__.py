"""An embedded, Toxiproxy-compatible fault-injection proxy (HTTP API of Toxiproxy v2.12.0)."""

from __future__ import annotations

from .server import ToxiproxyServer, run_cli

__all__ = ["ToxiproxyServer", "run_cli"]
