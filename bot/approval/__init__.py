"""The approval lifecycle shared by every request: who may approve and how many must, the warnings
shown with it, and its approval message as an outbox call."""
