"""An emulated Telegram Bot API: the same methods, checks and limits Telegram has, in-process.

`peerbot simulate` runs the real bot against it; the tests serve it over HTTP
(fake_telegram.FakeBotApi, which needs aiohttp from the test extra).
"""
