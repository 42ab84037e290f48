"""Unit tests, mirroring the code."""
