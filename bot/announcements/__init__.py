"""Commune announcements: composed, fanned out to subscribers, sent within the platforms' rules."""
