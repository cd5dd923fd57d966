"""`peerbot simulate`: try the whole program on one computer, with no Telegram account."""
