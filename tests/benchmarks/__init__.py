"""Benchmarks of the ``brokers`` client against the loopback sandbox (issue 6).

Run from the repository root::

    python -m tests.benchmarks            # the full run (about a minute on 2 cores)
    python -m tests.benchmarks --quick    # smaller counts, a smoke run
    python -m tests.benchmarks --json out.json

The sandbox runs in a separate process (``python -m brokers.sandbox --port 0``) and is only
reached on 127.0.0.1; request and connection counts come from its admin routes. The run
prints one table and writes the same figures, with the machine they came from, as JSON
(default ``tests/benchmarks/results.json``).

Nothing in this package is named ``test_*.py``: pytest does not collect it.
"""
