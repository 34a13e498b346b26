"""Curated answers about using the portal, and the cues of questions about the law."""
