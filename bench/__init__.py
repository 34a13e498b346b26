"""Benchmarks run by hand or in CI: ``python -m bench.<name>``; they never run in the test suite."""
