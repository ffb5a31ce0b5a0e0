"""Annual assessment."""
