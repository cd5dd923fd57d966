"""End-to-end: the real `peerbot run` process over HTTP against the fake Bot API."""
