"""API for a user's own API tokens."""
