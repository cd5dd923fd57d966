"""Conversations in a private chat: running a flow for a chat and storing its state, the
journey from one flow to the next, reminders for idle conversations, the actions a button
can start outside a flow with their callback-data codec, and the view values (`shown`) a
service hands the bot to show."""
