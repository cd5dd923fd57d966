"""`peerbot keys generate` and `peerbot keys rotate`: make an encryption key, and move every
encrypted value onto the first key so an old one can be retired."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from peerbot.cli.groups import action_group, command, deps_for, run_on

if TYPE_CHECKING:
    from peerbot.bot.deps import Deps
    from peerbot.config import Settings
    from peerbot.storage.key_rotation import RotationReport


def add_parser(subcommands: argparse._SubParsersAction[Any]) -> None:
    """encryption keys: make one, or re-encrypt everything with a new one

    PEERBOT_ENCRYPTION_KEY holds one key or several separated by commas: the first encrypts,
    all decrypt.
    """
    actions = action_group(subcommands, "keys", add_parser)
    command(actions, "generate", _generate)
    command(actions, "rotate", _rotate)


def _generate(_settings: Settings, _args: argparse.Namespace) -> int:
    """print a new key

    Print a new random key, alone on standard output, for PEERBOT_ENCRYPTION_KEY.
    """
    from peerbot.storage.crypto import FieldCipher

    sys.stdout.write(FieldCipher.generate_key() + "\n")
    return 0


def _rotate(settings: Settings, _args: argparse.Namespace) -> int:
    """re-encrypt every encrypted value with the first key

    Re-encrypt every encrypted value with the first key of PEERBOT_ENCRYPTION_KEY, in batches,
    printing progress. Safe to stop and run again: it goes on where it stopped. When it reports
    done, the keys after the first may be removed. Put the new key first on every running bot
    (and restart it) before.
    """
    report = run_on(deps_for(settings, migrate=False), _rotate_all)
    if not report.finished:
        sys.stdout.write(
            f"re-encrypted {report.rotated} values; {report.changed_meanwhile} rows changed "
            "while being read: run `peerbot keys rotate` again\n"
        )
        return 1
    sys.stdout.write(
        f"done: re-encrypted {report.rotated} values; everything is encrypted with the first "
        "key, so the keys after it can be removed from PEERBOT_ENCRYPTION_KEY\n"
    )
    return 0


async def _rotate_all(deps: Deps) -> RotationReport:
    from peerbot.storage.key_rotation import rotate_keys

    def progress(table: str, seen: int, total: int) -> None:
        sys.stdout.write(f"{table}: {seen}/{total} rows\n")
        sys.stdout.flush()

    return await rotate_keys(deps.sessions, deps.cipher, progress=progress)
