"""Case threads: a person's conversation with the program's coordinators.

Owns the ``cases`` and ``case_messages`` tables: a case is opened by an escalation, a request
for contact or the person writing (``cases``), what is said either way is relayed, screened,
encrypted and audited (``relay``), coordinators read and close it (``case_view``), and where a
case lives in the coordinators' group is known in one module only (``threads``: replies to
the case's card in a plain group today, a forum topic per case later)."""
