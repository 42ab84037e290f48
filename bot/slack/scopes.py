"""The bot token's scopes, as the manifest declares them."""

# Manifest bot scopes (``python -m bot check`` compares the token's with these).
BOT_SCOPES = ["commands", "chat:write", "chat:write.public", "im:write", "users:read",
              "users:read.email", "usergroups:read", "channels:history", "groups:history",
              "im:history", "app_mentions:read", "channels:read", "groups:read"]
