"""Matching peer supporters to waiting requests: hard constraints, scores with reasons, and
a whole-waiting-list assignment (``batch``, which loads numpy, is imported on its own)."""
