"""Peer supporters: joining by a one-time invite, their profile and breaks, scheduled
well-being check-ins, contact notes after talking to a participant, and the coordinators'
roster of supporters."""
