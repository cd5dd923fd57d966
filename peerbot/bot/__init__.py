"""Telegram adapter: application factory, handlers, rendering, delivery."""
