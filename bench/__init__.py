"""Benchmarks run by hand (they print figures; no test times anything)."""
