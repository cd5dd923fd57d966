"""The `peerbot` command: one module per command group; each loads settings, asks
peerbot.runtime for what it needs, and imports its heavy parts only when it runs."""
