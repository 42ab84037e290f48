"""Messages in help-desk channels (and mentions) that name a line: what was asked, and the one
reply per ticket."""
