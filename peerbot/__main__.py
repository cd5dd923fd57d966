"""`python -m peerbot` is the same as the `peerbot` command."""

import sys

from peerbot.cli.main import main

sys.exit(main())
