"""pytest-tws: a fake TWS speaking the real TWS API, and a pytest plugin around it."""
