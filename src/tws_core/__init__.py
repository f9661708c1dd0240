"""Production layer of a trading system on ib_async: connection, watchdog, orders, data."""
