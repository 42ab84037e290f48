"""The approval message, its summary and its message metadata."""
