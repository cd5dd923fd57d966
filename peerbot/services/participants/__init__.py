"""Participants coming in: consent recorded against the exact text shown, the person's record
made only once they agree (`enrolment`), and a confirmed intake turned into a support
request with its card for the coordinators."""
