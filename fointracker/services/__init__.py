"""Use cases. Each takes a session and commits once, so nothing is half-written."""
