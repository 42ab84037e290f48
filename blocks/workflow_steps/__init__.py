"""The message a Workflow Builder step run sends its requester."""
