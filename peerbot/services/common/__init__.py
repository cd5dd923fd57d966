"""What every service shares: the service context (session, program data, cipher, settings,
time) and the person a call is made for (`Who`), the audit trail, and the child process heavy
libraries run in."""
