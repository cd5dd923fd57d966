"""Shared helpers for peerbot's tests (fake Telegram Bot API server and friends)."""
