"""/offboard-lines: a leaver's lines as one request, one order per chosen line."""
