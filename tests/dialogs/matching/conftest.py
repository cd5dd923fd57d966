"""Hypothesis for the matching properties: no example database, no deadline, and its
caches in the temp folder, so running the tests writes nothing into the tree."""

import tempfile
from pathlib import Path

from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

# Hypothesis keeps a cache of constants under its home folder even without a database.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "peerbot-hypothesis")
settings.register_profile("matching", database=None, deadline=None, max_examples=150)
settings.load_profile("matching")
