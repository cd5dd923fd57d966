"""Safety: every message screened for red flags before the dialog sees it, red flags turned
into escalations with one coordinators' card (`card`), the desk where coordinators claim and
resolve them, the timers that raise an unclaimed one again, and the crisis resources a
person is given."""
