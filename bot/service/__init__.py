"""The service layer: what every surface (Slack listeners, CLI commands) calls.

Each function is one unit of work and owns its transaction: it opens the session through
the ``Runtime``, reads or writes through ``storage`` and the engines, and returns plain or
typed data. Surfaces parse a request, call one function here and render what it returns;
they never open a session or query storage themselves (``tests/test_layers.py``).
"""
