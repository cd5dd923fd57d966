"""Handlers grouped by audience; each translates the update, calls one service, renders."""
