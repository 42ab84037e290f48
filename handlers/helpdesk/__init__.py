"""Help-desk messages, mentions, the message shortcut and the Start buttons under the reply."""
