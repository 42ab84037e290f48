"""Shared by every feature's listeners: payload guards, log context, small Web API helpers."""
