"""Telegram adapter: application factory, handlers, rendering, delivery and the CLI."""
