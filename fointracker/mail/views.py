"""The mail pages (helpers fill these in)."""
