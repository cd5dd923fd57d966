"""The clock: thin APScheduler ticks that claim due rows and hand them to services."""
