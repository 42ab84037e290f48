"""The project itself: README, manifest, deployment files, entry point, standalone install."""
