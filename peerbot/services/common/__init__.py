"""What every service shares: the service context (session, program data, cipher, settings,
time) and the actor a call is made for, the audit trail, and the child process heavy
libraries run in."""
