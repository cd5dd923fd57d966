"""Alembic migration environment; run it through ``peerbot.storage.migrate``, not the CLI."""
