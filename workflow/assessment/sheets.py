"""Score sheet tables."""
