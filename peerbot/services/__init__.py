"""The program's operations, by domain.

One way to run a service: a public service function takes `ctx: ServiceContext` first, then
its own arguments (never a bare session or a session factory); it adds to `ctx.session`,
flushes and queries, and never commits, rolls back or opens a transaction. Its caller owns
the transaction and builds the context in one place: the update processor
(bot/processing.py, through bot/context.py), a scheduler tick, a CLI command or the
simulator, with `unit_of_work(deps, now=...)` or `context_for(deps, session, now)` from
services/common/context.py. Work that needs several transactions is split into service
calls and the caller runs each in its own unit of work: a chart drawn between a read and a
write (the digest), an export audited even when it fails (cli/export.py), retention a batch
at a time (scheduler/retention_pass.py), and a red flag, which the bot's guard screens and
commits in a unit of work ahead of the update's (services/escalations/safety.py), so nothing
later in the update can undo it. tests/test_layers.py checks the rule.

Services speak in view values (services/conversations/shown.py): what to show, never how
Telegram shows it. They return a Reply to the person they answer, and reach other chats
through `ctx.outbox.post(chat_id, view, ...)`; the bot's renderer turns both into Bot API calls.
"""
