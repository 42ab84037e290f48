"""The App Home: its listeners and publishing it."""
