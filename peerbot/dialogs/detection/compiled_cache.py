"""Compiled red-flag rules kept on disk between starts.

Why: compiling the rules files (thousands of phrases, their indexes, the model) is most of a
start-up — about a second, longer on a busy machine — while reading the compiled tables back
takes a tenth of that. Every `peerbot` command and every replica starts faster.

The file's name is a digest of the rules files' text and of this package's source, so an
edited rule, a program folder's own rules or a new release never reads an old table. The
folder is the user's own cache (``$XDG_CACHE_HOME/peerbot``, else ``~/.cache/peerbot``); a
folder that cannot be written, or a file that cannot be read, only means compiling again.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from peerbot.dialogs.detection.ruleset import RuleSet

PREFIX = "redflag-rules-"
#: Files of other digests older than this are removed when a new one is written.
STALE_AFTER_SECONDS = 7 * 24 * 3600


def cached_rule_sets(
    files: Sequence[tuple[str, str]], compile_files: Callable[[], dict[str, RuleSet]]
) -> dict[str, RuleSet]:
    """The rule sets compiled from files ((source, text) pairs), from the cache when it holds
    them, else compiled now and kept for the next start."""
    folder = cache_folder()
    path = folder / f"{PREFIX}{_digest(files)}.pickle"
    rules = _read(path)
    if rules is None:
        rules = compile_files()
        _write(folder, path, rules)
    return rules


def cache_folder() -> Path:
    """Where compiled tables are kept: the XDG cache folder of this user."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "peerbot"


def _digest(files: Sequence[tuple[str, str]]) -> str:
    """What the compiled tables depend on: the files' names and text, the compiler's source,
    the Python that pickles them."""
    digest = hashlib.sha256(sys.version.encode())
    for source in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(source.read_bytes())
    for name, text in files:
        digest.update(f"\0{name}\0{len(text)}\0".encode())
        digest.update(text.encode())
    return digest.hexdigest()[:32]


def _read(path: Path) -> dict[str, RuleSet] | None:
    try:
        with path.open("rb") as file:
            rules = pickle.load(file)
    except Exception:  # missing, unreadable, truncated or from another build: compile again
        return None
    if not isinstance(rules, dict) or not all(isinstance(v, RuleSet) for v in rules.values()):
        return None
    return rules


def _write(folder: Path, path: Path, rules: dict[str, RuleSet]) -> None:
    """Write to a private temporary file, then rename: several processes starting at once
    each write a whole file, and a reader never sees half of one."""
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".pickle")
    except OSError:
        return  # a read-only home or a full disk: the next start compiles again
    try:
        with os.fdopen(descriptor, "wb") as file:
            pickle.dump(rules, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except Exception:  # never let keeping a copy stop a start
        Path(temporary).unlink(missing_ok=True)
        return
    _remove_stale(folder, keep=path)


def _remove_stale(folder: Path, *, keep: Path) -> None:
    cutoff = time.time() - STALE_AFTER_SECONDS
    for other in folder.glob(f"{PREFIX}*.pickle"):
        try:
            if other != keep and other.stat().st_mtime < cutoff:
                other.unlink()
        except OSError:
            continue
