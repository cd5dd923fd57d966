"""`python -m peerbot` is the same as the `peerbot` command."""

import sys

from peerbot.bot.cli import main

sys.exit(main())
