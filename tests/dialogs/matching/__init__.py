"""Tests of the pure matching package."""
