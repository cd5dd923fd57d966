"""The program's operations, by domain.

One way to run a service: a service function takes `ctx: ServiceContext` first, then its
own arguments; it adds to `ctx.session`, flushes and queries, and never commits, rolls back
or opens a transaction. Its caller owns the transaction and builds the context in one place:
the update processor (bot/processing.py, through bot/context.py), a scheduler tick, a CLI
command or the simulator, with `unit_of_work(deps, now=...)` or `context_for(deps, session,
now)` from services/common/context.py. Work that needs several transactions (a chart drawn
between a read and a write, a report audited even when it fails) is split into service
calls and the caller runs each in its own unit of work. The one exception is a red flag:
screening commits it first, on its own transaction (services/escalations/safety.py, called
by the bot's guard before the update's transaction), so nothing later can undo it.

Services speak in view values (services/conversations/shown.py): what to show, never how
Telegram shows it. They return a Reply to the person they answer, and reach other chats
through `ctx.outbox.post(chat_id, view, ...)`; the bot's renderer turns both into Bot API calls.
"""
