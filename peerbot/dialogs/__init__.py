"""Conversation flows as data and the pure engine that steps through them."""
