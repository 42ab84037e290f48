"""The order modal, and thread replies about an order's decision and status."""
