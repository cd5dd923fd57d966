"""Tests for the fake Telegram Bot API server in tests/support."""
