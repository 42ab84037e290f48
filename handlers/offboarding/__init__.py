"""/offboard-lines: the command, its modals, its approval message and its news."""
