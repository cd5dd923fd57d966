"""The composition root: builds settings' long-lived objects (database, key, program data),
wires the Telegram adapter, the scheduler and the sender together, and runs them: long
polling, a webhook replica, or a simulation. The only code besides the CLI that knows every
layer."""
