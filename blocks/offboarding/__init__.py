"""/offboard-lines' modals and messages."""
