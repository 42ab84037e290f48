"""Background work: periodic rounds and coalesced publishing."""
