"""Broker state, contract catalog, market simulator and matching: pure state, no I/O."""
