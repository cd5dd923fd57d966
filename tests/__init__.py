"""peerbot's tests, mirroring the package layout."""
