"""A person's rights over their data and the program's duties: /consent, /stop, /mydata,
/forget and /language, retention of old free text, and the audit of who read or changed a
case."""
