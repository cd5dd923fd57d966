"""The coordinators' group: cards posted to it through the outbox in the program's language,
where the group lives now and who still belongs to it, and what happens when it cannot be
reached."""
