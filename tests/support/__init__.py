"""Helpers shared by the tests: flows, processes, crashes."""
