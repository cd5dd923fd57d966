"""Matching a request to a supporter: what matching knows of each side, proposals (one at a
time or for every waiting request, solved in a child process), offers to supporters and
their answers, the warm introduction, and the relationship that follows."""
