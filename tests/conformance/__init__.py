"""The project's conformance layer: what the documentation says the library may send.

``dxtrade.py`` / ``matchtrade.py`` describe every documented request shape the library sends
(or is about to send) and documented answers with the parser each must go through;
``checker.py`` validates recorded requests against them; ``hook.py`` runs the checker on every
request a ``brokers`` client sends to an in-process sandbox during the whole test suite.
"""
